"""Transport: tortuosity, active TPB and sizes of the test block and of prediction sets.

Rules transport_labels, transport and transport_set (scripts/transport.py): the test block's true
labels once, each model's prediction of it against them, and the segmentation of the prediction
sets transport.sets lists. Costly (tortuosity is an iterative solve), so it runs in jobs of its
own that rerun only when their inputs or the transport settings change.
Entry: job.run_transport.
"""
