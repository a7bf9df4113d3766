"""Class roles from the config: role names mapped to class names, as the class indices measured.

The config's `microstructure.roles` maps a role to a class name from data.class_names, e.g.
{pore: pore, ysz: YSZ, ni: Ni}, so users write names, not indices. Every triple of classes with a
role gets a triple-phase boundary density; fewer than three roles give none.
"""

from xrayseg.settings.roles import microstructure_problems


def class_roles(roles, class_names):
    """{class name: class index} of the classes `roles` ({role: class name}) names.

    Keyed by class name so that tables name every phase as data.class_names does. A clear error,
    naming the config key, for a class name that does not exist or a class given two roles (the
    config check's own message: the roles are checked by one function).
    """
    class_names = list(class_names)
    problems = microstructure_problems({"roles": roles}, class_names)
    if problems:
        raise ValueError("; ".join(f"{key}: {what}" for key, what in problems))
    return {name: class_names.index(name) for name in (roles or {}).values()}
