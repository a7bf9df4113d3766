"""benchmarks/gpu_train_check.py runs (tiny, on the CPU) and reports what it promises."""

import importlib.util

import pytest
import torch

from helpers.workflow import REPO


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_gpu_train_check_runs_a_few_steps_on_the_cpu(one_thread, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "gpu_train_check", REPO / "benchmarks" / "gpu_train_check.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = "--device cpu --steps 2 --warmup 1 --size 32 --width 4 --depth 2 --patches 8 --batch 4"
    results = module.main([*args.split(), "--json", str(tmp_path / "out.json")])
    assert [r["mode"] for r in results] == ["bare", "loop"]
    assert all(r["steps_per_s"] > 0 and r["patches_per_s"] == 4 * r["steps_per_s"] for r in results)
    out = capsys.readouterr().out
    assert "steps/s" in out and "torch" in out and "fit_network on cpu" in out
    assert (tmp_path / "out.json").exists()
