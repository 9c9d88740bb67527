"""Package mapping that pyproject.toml cannot express statically.

`envs/` and `skills/` sit at the top of the repository (the folder tree is the data flow) but
are installed as `agentloop.envs` and `agentloop.skills`, because plain top-level `envs` and
`skills` packages would collide with existing distributions of those names.
"""

from setuptools import find_packages, setup

packages = find_packages(include=["agentloop", "agentloop.*"])
for folder in ("envs", "skills"):
    packages.append(f"agentloop.{folder}")
    packages += [f"agentloop.{folder}.{sub}" for sub in find_packages(folder)]

setup(
    packages=packages,
    package_dir={"agentloop.envs": "envs", "agentloop.skills": "skills"},
)
