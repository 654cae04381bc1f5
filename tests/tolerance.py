"""Float tolerances for tests that must pass on any x86-64 CPU model and BLAS.

Bonus values and model outputs are float32 and equal across machines within float32
rounding, not bit for bit: the kernels use fast math (fused multiply-add, reassociated
reductions, approximate reciprocal square roots refined by a Newton step), whose last
bits depend on the CPU. Compare float32 results at these tolerances; compare float64 and
integer results as before, and runs on one machine (determinism) exactly.
"""

from __future__ import annotations

#: a few units in the last place of a float32 near 1 (one ulp is 1.2e-7 there)
F32 = {"rtol": 1e-6, "atol": 1e-7}
#: float32 results of a longer computation (a network's forward pass, a sum of many terms)
F32_ACC = {"rtol": 1e-5, "atol": 1e-6}
