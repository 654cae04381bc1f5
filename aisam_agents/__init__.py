"""Stable-Baselines3-style agents: a GPU transformer world model and PonderNet policies.

The heavy pieces (torch, stable-baselines3) are imported by the submodules that use
them, so ``aisam --help`` and ``aisam envs`` work on a core install.
"""
