import numpy as np
import torch

from xrayseg.models import REGISTRY, build_network, count_parameters, threshold


def test_seed_dense_network_has_544512_parameters():
    assert count_parameters(build_network("dnn", 3, 1, {})) == 544_512


def test_seed_unet_has_about_7_76_million_parameters():
    assert count_parameters(build_network("unet", 3, 1, {})) == 7_763_491


def test_networks_output_logits_of_input_size():
    torch.manual_seed(0)
    for arch, args, side in (
        ("dnn", {"patch_size": 16}, 16),
        ("unet", {"width": 4, "depth": 2}, 32),
    ):
        network = build_network(arch, 3, 1, args).eval()
        out = network(torch.randn(2, 1, side, side))
        assert out.shape == (2, 3, side, side)
        # Logits, not probabilities: not confined to [0, 1].
        assert out.min() < 0 or out.max() > 1


def test_threshold_recovers_separated_classes():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, (64, 64))
    raw = np.array([0.1, 0.5, 0.9])[labels] + rng.normal(0, 0.03, labels.shape)
    params = threshold.fit([raw], [labels], 3)
    predicted = threshold.predict_proba(params, raw, 3).argmax(0)
    assert (predicted == labels).mean() > 0.99


def test_schema_lists_exactly_the_registered_architectures():
    import yaml
    from conftest import REPO

    schema = yaml.safe_load((REPO / "config" / "schema.yaml").read_text())
    arch_enum = schema["properties"]["models"]["additionalProperties"]["properties"]["arch"]["enum"]
    assert sorted(arch_enum) == sorted(REGISTRY)
