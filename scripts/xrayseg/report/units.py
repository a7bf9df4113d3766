"""Units of the microstructure densities the report shows.

Densities are measured per voxel edge when microstructure.voxel_size is 1 (voxel⁻¹ for an
interface area per volume, voxel⁻² for a TPB length per volume); with another voxel size they
come in the length unit that voxel size is given in, written L here (the config names no unit).
"""

# microstructure.csv's unit column (xrayseg.microstructure.compare.UNITS) -> power of length.
POWERS = {"1": 0, "1/length": -1, "1/length^2": -2}
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def length_unit(voxel_size):
    """'voxel' when densities are per voxel edge, else 'L'."""
    return "voxel" if float(voxel_size) == 1.0 else "L"


def unit_text(unit, voxel_size):
    """A microstructure.csv unit ('1', '1/length', '1/length^2') as shown: '', 'voxel⁻¹',
    'L⁻²', ..."""
    power = POWERS[unit]
    return f"{length_unit(voxel_size)}{str(power).translate(SUPERSCRIPT)}" if power else ""


def unit_note(voxel_size):
    """The sentence that says what L is; '' when densities are per voxel."""
    if length_unit(voxel_size) == "voxel":
        return ""
    return (
        f"Densities are in L, the length unit of microstructure.voxel_size (a voxel edge is "
        f"{float(voxel_size):g} L)."
    )
