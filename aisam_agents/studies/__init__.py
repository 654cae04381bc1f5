"""Study commands (``aisam scaling``): experiments built on the library, not part of it.

Nothing in ``aisam_envs``, ``aisam_wrappers`` or the rest of ``aisam_agents`` imports
from here.
"""
