"""The figure and the summary table of ``aisam scaling`` (from its CSV rows).

Colours mean table size S everywhere: each S has one colour in every panel, and the
stochastic series of an S shares that colour with a dashed line. The x-axis of every
panel is the model size, as parameters per table bit.
"""

from __future__ import annotations

from pathlib import Path

CAPACITY_BITS_PER_PARAM = 2.0  # language models' knowledge capacity (Allen-Zhu & Li 2024)


def _series(rows: list[dict[str, str]]) -> dict[tuple[int, str], list[dict[str, str]]]:
    """Rows by (S, kind), each sorted by model size."""
    out: dict[tuple[int, str], list[dict[str, str]]] = {}
    for r in rows:
        out.setdefault((int(r["n_states"]), r["kind"]), []).append(r)
    return {k: sorted(v, key=lambda r: float(r["params_per_table_bit"])) for k, v in out.items()}


def smallest_learnt(rows: list[dict[str, str]]) -> dict[int, dict[str, str] | None]:
    """Per S of the deterministic series: the smallest model that reached its target
    accuracy (``None`` if none did)."""
    best: dict[int, dict[str, str] | None] = {}
    for (n_states, kind), series in sorted(_series(rows).items()):
        if kind == "random":
            best[n_states] = next((r for r in series if r["status"] == "target"), None)
    return best


def summary(rows: list[dict[str, str]]) -> str:
    """A Markdown table: per S, the smallest model that learnt the table; then every row."""
    lines = [
        "| S | table bits | smallest model at target | params / bit | bits / param "
        "| exposures per pair to target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for n_states, r in smallest_learnt(rows).items():
        if r is None:
            lines.append(f"| {n_states} | | none in the sweep | | | |")
            continue
        ppb = float(r["params_per_table_bit"])
        lines.append(
            f"| {n_states} | {float(r['table_bits']):,.0f} | {r['n_layer']}x{r['n_embd']} "
            f"({int(r['params']):,} params) | {ppb:.3g} | {1 / ppb:.3g} "
            f"| {r['exposures_to_target']} |"
        )
    lines += [
        "",
        "| kind | S | L x d | params / bit | status | exposures | accuracy | KL (nats) "
        "| stored bits / param | wall s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (n_states, kind), series in sorted(_series(rows).items()):
        for r in series:
            lines.append(
                f"| {kind} | {n_states} | {r['n_layer']}x{r['n_embd']} "
                f"| {float(r['params_per_table_bit']):.3g} | {r['status']} | {r['exposures']} "
                f"| {float(r['accuracy']):.4f} | {float(r['kl']):.4f} "
                f"| {float(r['bits_per_param']):.3f} | {float(r['wall_s']):.1f} |"
            )
    return "\n".join(lines)


def plot(rows: list[dict[str, str]], path: Path) -> None:
    """Four panels against parameters per table bit: accuracy, stored bits per
    parameter, exposures to the target accuracy, and the stochastic series' KL."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    series = _series(rows)
    sizes = sorted({s for s, _ in series})
    palette = plt.get_cmap("tab10").colors
    colour = {s: palette[i % len(palette)] for i, s in enumerate(sizes)}
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    (ax_acc, ax_bits), (ax_exp, ax_kl) = axes
    for (n_states, kind), pts in sorted(series.items()):
        x = [float(r["params_per_table_bit"]) for r in pts]
        style = dict(color=colour[n_states], marker="o", ls="-" if kind == "random" else "--")
        label = f"S = {n_states:,}" + ("" if kind == "random" else " stochastic")
        ax_acc.plot(x, [float(r["accuracy"]) for r in pts], label=label, **style)
        if kind == "random":
            ax_bits.plot(x, [float(r["bits_per_param"]) for r in pts], label=label, **style)
            hit = [(xi, int(r["exposures_to_target"])) for xi, r in zip(x, pts, strict=True)
                   if r["exposures_to_target"]]  # fmt: skip
            if hit:
                ax_exp.plot(*zip(*hit, strict=True), label=label, **style)
        else:
            ax_kl.plot(x, [max(float(r["kl"]), 1e-5) for r in pts], label=label, **style)
    bound = 1 / CAPACITY_BITS_PER_PARAM
    for ax in (ax_acc, ax_bits, ax_exp, ax_kl):
        ax.axvline(bound, color="0.4", ls=":", lw=1.2, label="2 bits / parameter bound")
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 0.25, not 2^-2
        ax.set_xlabel("model size: parameters per table bit (table bits = S·A·log2 S)")
        ax.grid(alpha=0.3, which="both")
    ax_acc.axhline(0.99, color="0.6", ls="--", lw=1, label="99% accuracy")
    ax_acc.set(ylabel="next-state accuracy over all (s, a) pairs", ylim=(-0.02, 1.02),
               title="accuracy after training to convergence")  # fmt: skip
    ax_bits.axhline(CAPACITY_BITS_PER_PARAM, color="0.4", ls=":", lw=1.2)
    ax_bits.set(ylabel="stored bits per parameter\nS·A·(log2 S − cross-entropy in bits) / params",
                yscale="log", title="capacity used")  # fmt: skip
    ax_exp.set(ylabel="exposures per (s, a) pair to reach 99%", yscale="log",
               title="data needed")  # fmt: skip
    plain = FuncFormatter(lambda v, _: f"{v:g}")  # after the log scale, which resets it
    ax_exp.yaxis.set_major_formatter(plain)
    ax_exp.yaxis.set_minor_formatter(plain)
    ax_kl.set(ylabel="KL(true ‖ model), nats per (s, a) pair", yscale="log",
              title="stochastic tables (3 successors, Dirichlet(1))")  # fmt: skip
    for ax in (ax_acc, ax_bits, ax_exp, ax_kl):
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            ax.legend(fontsize=8)
    fig.suptitle("World model on an S × 6 transition table: size needed to memorise it")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
