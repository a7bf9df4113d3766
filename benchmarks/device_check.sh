#!/usr/bin/env bash
# One prepared check of the benchmarks on a GPU machine (no network; torch preinstalled), in about
# four minutes. Writes its figures to $OUT: device.txt (summary: every step's status, time and its
# figures), one log per step, inference.json and gpu_train.json.
#
# On the device tool, from the repository root (MONAI and pytest travel as wheels in .whl/, which
# git ignores, so it must be carried):
#     command: bash benchmarks/device_check.sh      carry: [".whl"]      timeout_s: 300
# .whl/ is filled on a machine with network access by:
#     pip download --no-deps -d .whl monai==1.6.1 pytest==9.2.0 pluggy==1.7.0 iniconfig==2.3.1 \
#         packaging==25.0 pygments==2.21.0
# Try the script's logic on a CPU (tiny settings, same steps):
#     PYTHON=/tmp/venvtest/bin/python OUT=/tmp/device_check bash benchmarks/device_check.sh --cpu-test
#
# Every step runs under its own time limit and whatever happens to one, the next still runs; a
# step that would start with less than 10 s of the overall budget left (BUDGET, default 210 s,
# counted after the wheel install, which takes ~10 s) is skipped and says so.
cd "$(dirname "$0")/.." || exit 1
PY=${PYTHON:-python3}
SITE=${SITE:-/tmp/site}
$PY -m pip install -q --no-index --no-deps --target "$SITE" .whl/*.whl && export PYTHONPATH="$SITE:${PYTHONPATH:-}"
OUT=${OUT:-/tmp/device_check}
BUDGET=${BUDGET:-210}
mkdir -p "$OUT"
SUMMARY="$OUT/device.txt"
START=$SECONDS
MODE=cuda
if [ "${1:-}" = "--cpu-test" ]; then MODE=cpu; fi
: > "$SUMMARY"

step() { # step NAME LIMIT_S COMMAND... : run it time-boxed, log to $OUT/NAME.log, record status
    local name=$1 limit=$2
    shift 2
    local left=$((BUDGET - (SECONDS - START)))
    if [ "$left" -lt 10 ]; then
        echo "== $name: SKIPPED (only ${left} s of the ${BUDGET} s budget left)" >>"$SUMMARY"
        return
    fi
    if [ "$limit" -gt "$left" ]; then limit=$left; fi
    local began=$SECONDS
    timeout --kill-after=5 "$limit" "$@" >"$OUT/$name.log" 2>&1
    local rc=$?
    local status="ok"
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        status="TIMED OUT after $limit s"
    elif [ "$rc" -ne 0 ]; then status="FAILED (exit $rc)"; fi
    echo "== $name: $status, $((SECONDS - began)) s: $*" >>"$SUMMARY"
    tail -n 40 "$OUT/$name.log" >>"$SUMMARY"
    echo >>"$SUMMARY"
}

if [ "$MODE" = cuda ]; then
    step machine 20 bash -c "nvidia-smi; $PY -c 'import torch, sys; print(sys.version); print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda, torch.cuda.get_device_name(0), \"bf16\", torch.cuda.is_bf16_supported())'; lscpu | head -20"
    step inference 100 $PY benchmarks/inference.py --device cuda --bf16 --rounds 20 \
        --json "$OUT/inference.json"
    step gpu_train 80 $PY benchmarks/gpu_train_check.py --matrix --steps 40 --warmup 5 \
        --json "$OUT/gpu_train.json"
    step tests 60 $PY -m pytest -q -p no:cacheprovider --noconftest tests/test_evaluate_gpu.py \
        tests/test_cpufusion.py tests/test_inference.py
    step speed 40 env PYTHONPATH="scripts:$PYTHONPATH" $PY -m xrayseg.inference.speed --device cuda \
        --repeats 5 --settings '{}' '{"precision": "bf16"}' '{"window": "slice", "precision": "bf16"}'
    # Optional, while time is left: torch.compile on the GPU, and the CPU path on this machine's
    # own (bigger) CPU, where the fused oneDNN convolutions meet another CPU and torch version.
    step compile 70 $PY benchmarks/inference.py --device cuda --models paper --compile \
        --no-monai --train-steps 0 --rounds 10 --json "$OUT/inference_compile.json"
    step cpu_inference 60 $PY benchmarks/inference.py --device cpu --models default \
        --train-steps 0 --rounds 3 --json "$OUT/inference_cpu.json"
else
    step machine 20 bash -c "$PY -c 'import torch, sys; print(sys.version); print(\"torch\", torch.__version__)'; lscpu | head -5"
    step inference 100 $PY benchmarks/inference.py --device cpu --quick --json "$OUT/inference.json"
    step gpu_train 80 $PY benchmarks/gpu_train_check.py --device cpu --steps 2 --warmup 1 \
        --size 32 --width 4 --depth 2 --patches 8 --batch 4 --json "$OUT/gpu_train.json"
    step tests 60 $PY -m pytest -q -p no:cacheprovider --noconftest tests/test_evaluate_gpu.py \
        tests/test_cpufusion.py
    step speed 40 env PYTHONPATH="scripts:$PYTHONPATH" $PY -m xrayseg.inference.speed --device cpu \
        --width 4 --depth 2 --patch 32 --side 64 --repeats 1 --settings '{}' '{"window": "slice"}'
    step compile 5 sleep 10 # stands in for a step that runs out of time
fi
echo "device check finished in $((SECONDS - START)) s (budget $BUDGET s)" >>"$SUMMARY"
cat "$SUMMARY"
