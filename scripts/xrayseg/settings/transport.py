"""The config's `transport` section: what the transport stage measures, checked and as settings.

Standard library only. The transport stage measures, on the test block (the labels and every
model's prediction) and on the prediction sets listed in `transport.sets`, the numbers electrode
scientists compute with their own libraries: tortuosity factors (TauFactor), active triple-phase
boundary (TPB) density and local-thickness sizes (PoreSpy). Phases are named by class name, as
in data.class_names; the TPB triples are those of microstructure.roles.
"""

from dataclasses import dataclass

from xrayseg.settings.stage import StageSettings

QUANTITIES = ("tortuosity", "active_tpb", "sizes")
# Face names of a (Z, Y, X) volume: the first and last layer along each axis.
FACE_NAMES = ("zmin", "zmax", "ymin", "ymax", "xmin", "xmax")
AXIS_FACES = {0: ["zmin", "zmax"], 1: ["ymin", "ymax"], 2: ["xmin", "xmax"]}


@dataclass(frozen=True)
class TransportSettings(StageSettings):
    """How the transport jobs measure a volume (config sections `transport` and `microstructure`;
    every phase list resolved to class names, so a default that depends on the roles reruns
    the jobs when the roles change)."""

    quantities: list  # of QUANTITIES
    roles: dict  # role name -> class name (microstructure.roles)
    voxel_size: float  # sizes and densities come in its unit
    tortuosity_phases: list  # class names
    directions: list  # z (along the stack), y, x (across it)
    tolerance: float  # TauFactor's convergence criterion (relative flux spread between layers)
    max_iterations: int
    faces: dict  # class name -> face names its network must reach (active TPB)
    size_phases: list  # class names
    max_voxels: int  # larger volumes are measured on a central crop of at most this many voxels

    @classmethod
    def from_config(cls, config):
        section = config["transport"]
        class_names = list(config["data"]["class_names"])
        roles = dict(config["microstructure"]["roles"])
        role_classes = [name for name in class_names if name in roles.values()]
        tortuosity = section["tortuosity"]
        sizes = section["sizes"]
        axis_faces = AXIS_FACES[config["microstructure"]["axis"]]
        given_faces = section["active_tpb"]["faces"]
        return cls(
            quantities=[q for q in QUANTITIES if q in section["quantities"]],
            roles=roles,
            voxel_size=config["microstructure"]["voxel_size"],
            tortuosity_phases=_listed(tortuosity["phases"], role_classes),
            directions=list(tortuosity["directions"]),
            tolerance=tortuosity["tolerance"],
            max_iterations=tortuosity["max_iterations"],
            faces={name: list(given_faces.get(name, axis_faces)) for name in role_classes},
            size_phases=_listed(sizes["phases"], class_names),
            max_voxels=section["max_voxels"],
        )


def _listed(names, default):
    return list(default) if names is None else list(names)


def transport_problems(config):
    """(key, problem) pairs for transport phases or sets that do not exist."""
    section = config["transport"]
    class_names = list(config["data"]["class_names"])
    problems = []
    for key, names in (
        ("transport.tortuosity.phases", section["tortuosity"]["phases"] or []),
        ("transport.sizes.phases", section["sizes"]["phases"] or []),
        ("transport.active_tpb.faces", list(section["active_tpb"]["faces"])),
    ):
        problems += [
            (key, f"{name!r} is not a class name; data.class_names: {', '.join(class_names)}")
            for name in names
            if name not in class_names
        ]
    problems += [
        (
            "transport.sets",
            f"{name!r} is not a prediction set; predict: {', '.join(config['predict']) or 'none'}",
        )
        for name in section["sets"]
        if name not in config["predict"]
    ]
    return problems


def transport_enabled(config):
    """Whether any transport quantity is measured (else the stage has no jobs)."""
    return bool(config["transport"]["quantities"])
