"""Class roles from the config: role names mapped to class names, as the class indices measured.

The config's `microstructure.roles` maps a role to a class name from data.class_names, e.g.
{pore: pore, ysz: YSZ, ni: Ni}, so users write names, not indices. Every triple of classes with a
role gets a triple-phase boundary density; fewer than three roles give none.
"""


def class_roles(roles, class_names):
    """{class name: class index} of the classes `roles` ({role: class name}) names.

    Keyed by class name so that tables name every phase as data.class_names does. A clear error,
    naming the config key, for a class name that does not exist or a class given two roles.
    """
    class_names = list(class_names)
    resolved = {}
    for role, name in (roles or {}).items():
        if name not in class_names:
            raise ValueError(
                f"microstructure.roles.{role}: {name!r} is not a class name "
                f"(data.class_names: {', '.join(map(str, class_names))})"
            )
        if name in resolved:
            raise ValueError(f"microstructure.roles: class {name!r} has two roles")
        resolved[name] = class_names.index(name)
    return resolved
