"""Device and precision choice: `auto` precision follows the CPU's native bf16 support (mocked
both ways here; this test machine's own answer is whatever it is)."""

import numpy as np
import pytest
import torch

from xrayseg.inference.predictor import InferenceSettings, Predictor
from xrayseg.inference.speed import unet_checkpoint
from xrayseg.io.errors import InputError
from xrayseg.models import device
from xrayseg.training.precision import Precision


@pytest.fixture
def cpu_reports(monkeypatch):
    """Set what torch's CPU capability query answers (None: the query is missing)."""

    def report(capabilities, cpuinfo_flags=()):
        device.cpu_has_native_bf16.cache_clear()
        monkeypatch.setattr(device, "_torch_cpu_capabilities", lambda: capabilities)
        monkeypatch.setattr(device, "_cpuinfo_flags", lambda: set(cpuinfo_flags))
        return device.cpu_has_native_bf16()

    yield report
    device.cpu_has_native_bf16.cache_clear()


@pytest.mark.parametrize(
    ("capabilities", "native"),
    [
        ({"avx2": True, "avx512_bf16": False, "amx_bf16": False}, False),
        ({"avx2": True, "avx512_f": True}, False),
        ({"avx512_bf16": True, "amx_bf16": False}, True),
        ({"avx512_bf16": False, "amx_bf16": True}, True),
    ],
)
def test_native_bf16_is_read_from_torchs_cpu_capabilities(cpu_reports, capabilities, native):
    # /proc/cpuinfo saying otherwise does not count when torch answers.
    assert cpu_reports(capabilities, cpuinfo_flags=["avx512_bf16"] if not native else []) is native


def test_without_torchs_query_the_kernels_cpu_flags_decide(cpu_reports):
    assert cpu_reports(None, ["fpu", "avx2", "amx_bf16"]) is True
    assert cpu_reports(None, ["fpu", "avx2"]) is False


def test_cpuinfo_flags_are_parsed_from_the_flags_line(tmp_path, monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512_bf16\nbugs\t: spectre\n")
    monkeypatch.setattr(device, "CPUINFO", cpuinfo)
    assert {"fpu", "avx2", "avx512_bf16"} == device._cpuinfo_flags()
    monkeypatch.setattr(device, "CPUINFO", tmp_path / "missing")
    assert device._cpuinfo_flags() == set()


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_on_the_cpu_follows_native_bf16(monkeypatch, native):
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: native)
    expected = "bf16" if native else "fp32"
    assert device.resolve_precision("auto", "cpu") == expected
    assert device.resolve_precision("auto", "cpu", fp16=False) == expected
    assert Precision("auto", "cpu").name == expected
    # Settings other than auto are taken as they are.
    assert device.resolve_precision("fp32", "cpu") == "fp32"
    assert device.resolve_precision("bf16", "cpu") == "bf16"


def test_auto_trains_3d_networks_on_the_cpu_in_fp32_even_with_native_bf16(monkeypatch):
    """torch 2.13's bf16 Conv3d backward on the CPU is unreliable (NaN or ~1e36 gradients for
    inputs two slices deep): auto keeps 3-D training in fp32; 3-D prediction and 2-D training
    keep bf16, and an explicit bf16 is taken as given."""
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: True)
    assert device.resolve_precision("auto", "cpu", training_3d=True) == "fp32"
    assert device.resolve_precision("auto", "cpu") == "bf16"
    assert device.resolve_precision("bf16", "cpu", training_3d=True) == "bf16"
    assert Precision("auto", "cpu", training_3d=True).name == "fp32"
    assert "3-D" in device.describe_precision("auto", "fp32", "cpu", training_3d=True)


@pytest.mark.parametrize("bf16_card", [True, False])
def test_auto_precision_on_cuda_is_bf16_or_fp16_for_training_and_fp32_for_prediction(
    monkeypatch, bf16_card
):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: bf16_card)
    assert device.resolve_precision("auto", "cuda") == ("bf16" if bf16_card else "fp16")
    assert device.resolve_precision("auto", "cuda", fp16=False) == ("bf16" if bf16_card else "fp32")


def test_unknown_precisions_name_the_setting():
    with pytest.raises(ValueError, match="training.precision"):
        device.resolve_precision("fp8", "cpu")
    with pytest.raises(ValueError, match="evaluate.precision"):
        device.resolve_precision("fp16", "cpu", fp16=False, key="evaluate.precision")


@pytest.mark.parametrize("native", [True, False])
def test_prediction_runs_in_the_precision_auto_picks(monkeypatch, native):
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: native)
    checkpoint = unet_checkpoint(width=4, depth=2, patch=16)
    image = np.random.default_rng(0).random((1, 24, 24)).astype(np.float32)
    predictor = Predictor(checkpoint, "cpu", InferenceSettings(precision="auto"))
    assert predictor.precision == ("bf16" if native else "fp32")
    fp32 = Predictor(checkpoint, "cpu", InferenceSettings(precision="fp32")).scores(image)
    bf16 = Predictor(checkpoint, "cpu", InferenceSettings(precision="bf16")).scores(image)
    assert not np.array_equal(fp32, bf16)  # the two really differ, so the next line tells
    assert np.array_equal(predictor.scores(image), bf16 if native else fp32)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_cuda_on_a_machine_without_it_is_an_input_error_naming_the_key():
    with pytest.raises(InputError, match=r"device: 'cuda' asks for a CUDA GPU, .*set device: auto"):
        device.pick_device("cuda")
    assert device.pick_device("cpu") == torch.device("cpu")
