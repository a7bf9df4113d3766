"""A fitted scikit-learn forest stored as plain tensors, and predicted by scikit-learn's own trees.

Checkpoints are loaded with torch.load(weights_only=True), which unpickles no code, so the forest
is stored as flat tensors (per node: feature, threshold, children, class fractions) rather than as
a pickled estimator. To predict, every tree is rebuilt as a scikit-learn `Tree` from those arrays
through the state its own pickle support reads (`Tree.__setstate__`: node records and values, as
skops does), and the trees' compiled `predict` walks the pixels on `threads` threads, averaging
the leaves' class fractions exactly as RandomForestClassifier.predict_proba does (tests compare
the two). Rebuilding 32 trees takes well under a millisecond; nothing is cached.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

# scikit-learn marks leaves with child -1 and their feature / threshold with -2.
LEAF, UNDEFINED = -1, -2


def forest_tensors(forest, n_classes):
    """A fitted RandomForestClassifier as flat tensors: every tree's nodes concatenated, `roots`
    index each tree's first node. Child indices are global (offset by the tree's start); leaves
    have child -1."""
    features, thresholds, lefts, rights, values, roots = [], [], [], [], [], []
    offset = 0
    for estimator in forest.estimators_:
        tree = estimator.tree_
        leaf = tree.children_left < 0
        roots.append(offset)
        features.append(np.where(leaf, 0, tree.feature))
        thresholds.append(tree.threshold)
        lefts.append(np.where(leaf, LEAF, tree.children_left + offset))
        rights.append(np.where(leaf, LEAF, tree.children_right + offset))
        # Class fractions per node over the forest's classes, mapped onto 0 .. n_classes-1.
        fractions = np.zeros((tree.node_count, n_classes))
        counts = tree.value[:, 0, :]
        fractions[:, forest.classes_.astype(int)] = counts / counts.sum(1, keepdims=True)
        values.append(fractions)
        offset += tree.node_count
    return {
        "feature": torch.from_numpy(np.concatenate(features).astype(np.int32)),
        "threshold": torch.from_numpy(np.concatenate(thresholds).astype(np.float64)),
        "left": torch.from_numpy(np.concatenate(lefts).astype(np.int64)),
        "right": torch.from_numpy(np.concatenate(rights).astype(np.int64)),
        "value": torch.from_numpy(np.concatenate(values).astype(np.float32)),
        "roots": torch.tensor(roots, dtype=torch.int64),
    }


def tree_depth(left, right):
    """Depth of a tree given its local child arrays (the root alone has depth 0)."""
    depth, level = 0, np.array([0])
    while True:
        inner = level[left[level] != LEAF]
        if inner.size == 0:
            return depth
        depth, level = depth + 1, np.concatenate([left[inner], right[inner]])


def sklearn_trees(params, n_features):
    """The stored forest as scikit-learn Tree objects taking (P, n_features) float32 rows."""
    from sklearn.tree._tree import NODE_DTYPE, Tree

    feature = params["feature"].numpy()
    threshold = params["threshold"].numpy()
    left, right = params["left"].numpy(), params["right"].numpy()
    value = params["value"].numpy().astype(np.float64)
    roots = params["roots"].numpy()
    ends = np.append(roots[1:], len(feature))
    n_classes = value.shape[1]
    trees = []
    for start, end in zip(roots, ends, strict=True):
        leaf = left[start:end] == LEAF
        nodes = np.zeros(end - start, dtype=NODE_DTYPE)  # impurity and sample counts stay 0
        nodes["left_child"] = np.where(leaf, LEAF, left[start:end] - start)
        nodes["right_child"] = np.where(leaf, LEAF, right[start:end] - start)
        nodes["feature"] = np.where(leaf, UNDEFINED, feature[start:end])
        nodes["threshold"] = np.where(leaf, UNDEFINED, threshold[start:end])
        tree = Tree(n_features, np.array([n_classes], dtype=np.intp), 1)
        tree.__setstate__(
            {
                "max_depth": tree_depth(nodes["left_child"], nodes["right_child"]),
                "node_count": end - start,
                "nodes": nodes,
                "values": np.ascontiguousarray(value[start:end, None, :]),
            }
        )
        trees.append(tree)
    return trees


def forest_proba(params, features, threads=1, chunk=16384):
    """(P, n_classes) float32 mean leaf class fractions of the stored forest for (P, F) features.

    `threads` threads take chunks of `chunk` rows each (the compiled walk releases the GIL) and
    sum the trees in their stored order, so the result does not depend on the thread count and
    equals the leaf fractions summed tree by tree in float64.
    """
    features = np.ascontiguousarray(features, dtype=np.float32)
    # The compiled walk reads feature columns unchecked: a forest asking for more features than
    # given (a checkpoint from other feature settings) must stop here, not read past the rows.
    needed = int(params["feature"].max()) + 1 if params["feature"].numel() else 0
    if features.ndim != 2 or features.shape[1] < needed:
        raise ValueError(
            f"rf checkpoint splits on {needed} features, got features of shape {features.shape}"
        )
    trees = sklearn_trees(params, features.shape[1])
    total = np.zeros((len(features), params["value"].shape[1]), dtype=np.float64)

    def add_trees(start):
        rows = features[start : start + chunk]
        for tree in trees:
            total[start : start + chunk] += tree.predict(rows)

    starts = range(0, len(features), chunk)
    with ThreadPoolExecutor(max(1, min(int(threads), len(starts)))) as pool:
        list(pool.map(add_trees, starts))
    return (total / len(trees)).astype(np.float32)
