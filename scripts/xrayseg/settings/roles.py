"""The config's `microstructure` section: the roles checked, and the stages' settings.

Roles map role name -> a class name from data.class_names (standard library only; the config
check and the stages that measure microstructure both use it).
"""

from dataclasses import dataclass

from xrayseg.settings.stage import StageSettings


@dataclass(frozen=True)
class MicrostructureSettings(StageSettings):
    """How evaluate and predict measure microstructure (config section `microstructure`)."""

    roles: dict  # role name -> class name; every three classes with a role get a TPB density
    voxel_size: float  # voxel edge length: densities come in its unit
    axis: int  # the axis along which a phase counts as connected
    # volume: the test block in 3-D; sections: each test slice in 2-D, averaged (slices far
    # apart or voxels not cubes: xrayseg.settings.adapt)
    measure: str = "volume"

    @classmethod
    def from_config(cls, config):
        section = config["microstructure"]
        return cls(
            dict(section["roles"]), section["voxel_size"], section["axis"], section["measure"]
        )


def microstructure_problems(microstructure, class_names):
    """(key, problem) pairs for microstructure.roles naming a class that does not exist, or
    giving one class two roles (roles map role names to names from data.class_names)."""
    problems, seen = [], {}
    for role, name in (microstructure.get("roles") or {}).items():
        if name not in class_names:
            problems.append(
                (
                    f"microstructure.roles.{role}",
                    f"{name!r} is not a class name; data.class_names: "
                    f"{', '.join(map(str, class_names))}",
                )
            )
        elif name in seen:
            problems.append(
                (
                    f"microstructure.roles.{role}",
                    f"class {name!r} has two roles ({seen[name]!r} and {role!r}); "
                    "give each class one role",
                )
            )
        else:
            seen[name] = role
    return problems


def roles_that_fit(roles, class_names):
    """`roles` when every class they name exists, else no roles.

    For the schema's default roles (pore, YSZ, Ni) when the config leaves them out: data with
    other class names then gets fractions, connectivity and interfaces, no TPB, and no error.
    """
    return dict(roles) if all(name in class_names for name in roles.values()) else {}
