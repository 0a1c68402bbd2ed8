"""Graph networks that predict per-particle propensities from static structure (PyTorch).

:class:`BapstGN` is the network of Bapst et al., "Unveiling the predictive power of static structure
in glassy systems", Nature Physics 16, 448 (2020), layer for layer:

- encoder: node MLP 1->64->64 on the type, edge MLP 3->64->64 on the displacement (ReLU after every
  layer, the last included);
- core: one graph-network block whose weights are shared over 7 steps; its input at each step is
  concat(current, encoded) on nodes and edges (128 each). Edge MLP on [edge, receiver, sender]
  (384->64->64), sum of incoming edges per node, node MLP on [sum, node] (192->64->64);
- decoder: node MLP 64->64->64->n_outputs, linear output.

Deviations: none in the function. For speed the first layer of each core MLP is evaluated in pieces
(the receiver and sender parts are computed per node before the gather, and the parts acting on the
encoded features, which do not change between steps, are computed once). This is the same linear
map, summed in a different order. The unused decoder edge MLP of the published code is left out.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from .graph import CUBE_SYMMETRIES, Graph, build_graph

__all__ = ["ModelConfig", "BapstGN", "EquivariantConfig", "EquivariantGN", "ModelError", "graph_to_tensors",
           "import_bapst_weights", "pick_device", "predict_tensors", "symmetry_spread", "ARCHITECTURES"]


class ModelError(ValueError):
    """A checkpoint or input that does not fit the model."""


def pick_device(device: str | None = None) -> torch.device:
    """The torch device to use: the given one, else CUDA when available, else the CPU."""
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a :class:`BapstGN` (the defaults are the published network).

    Attributes:
        hidden: width of every MLP layer.
        mlp_layers: layers per encoder and core MLP (the decoder has one more, linear).
        steps: message-passing steps of the shared core.
        n_outputs: one output per predicted timescale.
        r_cut: graph cutoff (sigma) the network was trained with.
    """

    hidden: int = 64
    mlp_layers: int = 2
    steps: int = 7
    n_outputs: int = 1
    r_cut: float = 2.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def _mlp(sizes: list[int], activate_final: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or activate_final:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def _tail(mlp: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """Apply everything after the first Linear layer of an MLP."""
    for layer in list(mlp)[1:]:
        x = layer(x)
    return x


def graph_to_tensors(graph: Graph, device=None) -> dict[str, torch.Tensor]:
    """The tensors the network reads from a :class:`~glassnet.graph.Graph`."""
    dev = pick_device(device) if device is None or isinstance(device, str) else device
    return {
        "nodes": torch.as_tensor(graph.nodes, dtype=torch.float32, device=dev).unsqueeze(-1),
        "edges": torch.as_tensor(graph.edges, dtype=torch.float32, device=dev),
        "senders": torch.as_tensor(graph.senders, dtype=torch.long, device=dev),
        "receivers": torch.as_tensor(graph.receivers, dtype=torch.long, device=dev),
    }


class BapstGN(nn.Module):
    """The graph network of Bapst et al. (2020); see the module docstring.

    Args:
        config: :class:`ModelConfig` (defaults: the published network, 62,401 parameters).

    Call it on the tensors of :func:`graph_to_tensors`; it returns (N, n_outputs) predictions
    (in the units of the targets it was trained on, before any de-normalisation).
    """

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        h, k = config.hidden, config.mlp_layers
        if h < 1 or k < 1 or config.steps < 0 or config.n_outputs < 1:
            raise ModelError(f"invalid model config {config}")
        self.config = config
        self.node_encoder = _mlp([1] + [h] * k, activate_final=True)
        self.edge_encoder = _mlp([3] + [h] * k, activate_final=True)
        self.core_edge = _mlp([6 * h] + [h] * k, activate_final=True)   # [edge, receiver, sender]
        self.core_node = _mlp([3 * h] + [h] * k, activate_final=True)   # [sum of edges, node]
        self.decoder = _mlp([h] * (k + 1) + [config.n_outputs], activate_final=False)

    #: the network alone is not invariant under rotations (trained with random cube symmetries)
    invariant = False
    needs_inherent = False

    def __repr__(self):
        return f"BapstGN({self.config!r})"

    def tensors(self, positions, types, box, inherent=None, device=None) -> dict[str, torch.Tensor]:
        """The input tensors of one configuration (the periodic graph; ``inherent`` is unused)."""
        dev = device or next(self.parameters()).device
        return graph_to_tensors(build_graph(positions, types, box, self.config.r_cut), dev)

    @staticmethod
    def transform(t: dict, m: torch.Tensor) -> dict:
        """The inputs with a 3x3 orthogonal map applied to every vector (the edge vectors)."""
        return {**t, "edges": t["edges"] @ m.T}

    def forward(self, nodes: torch.Tensor, edges: torch.Tensor, senders: torch.Tensor,
                receivers: torch.Tensor, max_steps: int | None = None) -> torch.Tensor:
        """Predict per-node outputs.

        Args:
            nodes: (N, 1) float types.
            edges: (E, 3) float displacements receiver - sender (sigma).
            senders, receivers: (E,) int64 node indices.
            max_steps: run only this many core steps (default: config.steps).

        Returns:
            (N, n_outputs) float predictions.
        """
        h = self.config.hidden
        n = nodes.shape[0]
        node_enc = self.node_encoder(nodes)
        edge_enc = self.edge_encoder(edges)
        # First core layers split into blocks acting on each piece of the concatenated input.
        w_e = self.core_edge[0].weight            # (h, 6h): [edge_cur, edge_enc, recv_cur, recv_enc, send_cur, send_enc]
        w_n = self.core_node[0].weight            # (h, 3h): [sum_edges, node_cur, node_enc]
        e_cur_w, e_enc_w, r_cur_w, r_enc_w, s_cur_w, s_enc_w = w_e.split(h, dim=1)
        n_sum_w, n_cur_w, n_enc_w = w_n.split(h, dim=1)
        edge_const = edge_enc @ e_enc_w.T + self.core_edge[0].bias
        recv_const = node_enc @ r_enc_w.T
        send_const = node_enc @ s_enc_w.T
        node_const = node_enc @ n_enc_w.T + self.core_node[0].bias
        node_x, edge_x = node_enc, edge_enc
        steps = self.config.steps if max_steps is None else max_steps
        for _ in range(steps):
            recv = torch.addmm(recv_const, node_x, r_cur_w.T)
            send = torch.addmm(send_const, node_x, s_cur_w.T)
            # in-place sums on fresh (E, h) buffers: large temporaries are what costs here
            pre = torch.addmm(edge_const, edge_x, e_cur_w.T)
            pre += recv.index_select(0, receivers)
            pre += send.index_select(0, senders)
            edge_x = _tail(self.core_edge, pre)
            summed = torch.zeros(n, h, dtype=edge_x.dtype, device=edge_x.device)
            summed.index_add_(0, receivers, edge_x)
            pre_n = torch.addmm(node_const, summed, n_sum_w.T)
            pre_n += node_x @ n_cur_w.T
            node_x = _tail(self.core_node, pre_n)
        return self.decoder(node_x)

    def forward_literal(self, nodes, edges, senders, receivers) -> torch.Tensor:
        """The same function as :meth:`forward`, written as the paper states it (concatenate, then
        apply each MLP). Slower; kept as the reference the fast path is tested against."""
        node_enc, edge_enc = self.node_encoder(nodes), self.edge_encoder(edges)
        node_x, edge_x = node_enc, edge_enc
        for _ in range(self.config.steps):
            node_in = torch.cat([node_x, node_enc], -1)
            edge_in = torch.cat([edge_x, edge_enc], -1)
            edge_x = self.core_edge(torch.cat([edge_in, node_in[receivers], node_in[senders]], -1))
            summed = torch.zeros(node_x.shape[0], edge_x.shape[1], dtype=edge_x.dtype,
                                 device=edge_x.device).index_add_(0, receivers, edge_x)
            node_x = self.core_node(torch.cat([summed, node_in], -1))
        return self.decoder(node_x)

    def predict_graph(self, graph: Graph, symmetrize: bool = False) -> np.ndarray:
        """Predict (N, n_outputs) float64 outputs for one graph (no gradients).

        With ``symmetrize=True`` the prediction is averaged over the 48 cube symmetries of the edge
        vectors, which makes it exactly invariant under them (the network alone is not).
        """
        return predict_tensors(self, graph_to_tensors(graph, next(self.parameters()).device), symmetrize)


# TF variable prefixes of the published checkpoint -> our MLPs
_BAPST_NAMES = {
    "node_encoder": "Graph/graph_independent/node_model/mlp",
    "edge_encoder": "Graph/graph_independent/edge_model/mlp",
    "core_edge": "Graph/graph_network/edge_block/mlp",
    "core_node": "Graph/graph_network/node_block/mlp",
    "decoder": "Graph/graph_independent_1/node_model/mlp",
}


def import_bapst_weights(tensors: dict[str, np.ndarray]) -> BapstGN:
    """Build a :class:`BapstGN` from the variables of the published TensorFlow checkpoint.

    Args:
        tensors: name -> array, as read by :func:`glassnet._tfbundle.read_tf_bundle`.

    Raises:
        ModelError: a variable is missing or has a shape the published architecture does not have.
    """
    w0 = tensors.get(_BAPST_NAMES["node_encoder"] + "/linear_0/w")
    if w0 is None:
        raise ModelError("not a Bapst et al. checkpoint: no variable "
                         f"{_BAPST_NAMES['node_encoder']}/linear_0/w")
    hidden = w0.shape[1]
    layers = sum(1 for k in tensors if k.startswith(_BAPST_NAMES["node_encoder"] + "/linear_")
                 and k.endswith("/w"))
    n_out = tensors[f"{_BAPST_NAMES['decoder']}/linear_{layers}/w"].shape[1]
    model = BapstGN(ModelConfig(hidden=hidden, mlp_layers=layers, steps=7, n_outputs=n_out))
    with torch.no_grad():
        for attr, prefix in _BAPST_NAMES.items():
            linears = [m for m in getattr(model, attr) if isinstance(m, nn.Linear)]
            for i, lin in enumerate(linears):
                w = tensors.get(f"{prefix}/linear_{i}/w")
                b = tensors.get(f"{prefix}/linear_{i}/b")
                if w is None or b is None:
                    raise ModelError(f"checkpoint lacks {prefix}/linear_{i}")
                if w.T.shape != tuple(lin.weight.shape) or b.shape != tuple(lin.bias.shape):
                    raise ModelError(f"{prefix}/linear_{i}: shape {w.shape} does not fit "
                                     f"{tuple(lin.weight.T.shape)}")
                lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
                lin.bias.copy_(torch.from_numpy(b))
    return model


# ----------------------------------------------------------------------------------------------
# glassnet's own model
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EquivariantConfig:
    """Architecture of an :class:`EquivariantGN` (the defaults are the shipped networks' and `glassnet train
    --model equivariant`'s).

    Attributes:
        hidden: width of the scalar and vector channels.
        layers: message-passing layers (each a message and an update block).
        n_rbf: Gaussian radial basis functions per distance.
        n_outputs: timescales predicted (one head per timescale and type).
        n_types: particle types (one head per type).
        r_cut: graph cutoff (sigma); messages vanish smoothly (cosine) at it.
        inherent: use the inherent-state inputs (energy, displacement, pair distances in the
            inherent state); without them only types, forces and distances in the given configuration
            (the forces still come from :class:`~glassnet.io.InherentState`).
        vectors: keep l=1 vector channels (PaiNN); False gives an invariant network on distances only.
        type_heads: a separate head per type (False: one head per timescale shared by both types).
    """

    hidden: int = 32
    layers: int = 3
    n_rbf: int = 16
    n_outputs: int = 1
    n_types: int = 2
    r_cut: float = 2.0
    inherent: bool = True
    vectors: bool = True
    type_heads: bool = True

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


#: scale of the force inputs (epsilon/sigma) and offset of the energies (epsilon): O(1) inputs
_FORCE_SCALE = 20.0
_ENERGY_OFFSET = 7.0
#: vector inputs saturate at these lengths (in units of the scaled input)
_FORCE_SATURATION = 5.0
_DISPLACEMENT_SATURATION = 1.0


def _saturate(x: np.ndarray, c: float) -> np.ndarray:
    """Vectors x (N, 3) shrunk to x / (1 + |x| / c): linear for |x| << c, length < c always.

    The vector channels multiply each other, so the output of a PaiNN trunk grows like a power of the
    input lengths; bounded inputs keep configurations far outside the training range (overlapping
    particles, forces of hundreds) from giving astronomically large predictions.
    """
    return x / (1.0 + np.linalg.norm(x, axis=-1, keepdims=True) / c)


def _rbf(r: torch.Tensor, n: int, r_cut: float) -> torch.Tensor:
    """Gaussian basis on [0.6, r_cut] times a cosine envelope that vanishes at the cutoff."""
    centers = torch.linspace(0.6, r_cut, n, dtype=r.dtype, device=r.device)
    width = (r_cut - 0.6) / (n - 1)
    env = 0.5 * (torch.cos(torch.pi * (r / r_cut).clamp(max=1.0)) + 1.0)
    return torch.exp(-((r.unsqueeze(-1) - centers) / width) ** 2) * env.unsqueeze(-1)


class _PaiNNLayer(nn.Module):
    """One message and one update block of PaiNN (Schuett et al., ICML 2021), l = 1 vectors."""

    def __init__(self, f: int, n_edge: int, vectors: bool):
        super().__init__()
        self.f, self.vectors = f, vectors
        k = 3 if vectors else 1
        self.phi = nn.Sequential(nn.Linear(f, f), nn.SiLU(), nn.Linear(f, k * f))
        self.w = nn.Linear(n_edge, k * f)
        if vectors:
            self.uv = nn.Linear(f, 2 * f, bias=False)
            self.upd = nn.Sequential(nn.Linear(2 * f, f), nn.SiLU(), nn.Linear(f, 3 * f))
        else:
            self.upd = nn.Sequential(nn.Linear(2 * f, f), nn.SiLU(), nn.Linear(f, f))

    def forward(self, s, v, edge_feat, unit, senders, receivers):
        f = self.f
        x = self.phi(s).index_select(0, senders) * self.w(edge_feat)
        ds = torch.zeros_like(s).index_add_(0, receivers, x[:, :f])
        s = s + ds
        if self.vectors:
            b, c = x[:, f:2 * f], x[:, 2 * f:]
            msg = v.index_select(0, senders) * b.unsqueeze(1) + unit.unsqueeze(-1) * c.unsqueeze(1)
            v = v + torch.zeros_like(v).index_add_(0, receivers, msg)
            uv = self.uv(v)                                   # (N, 3, 2f)
            u, w = uv[..., :f], uv[..., f:]
            a = self.upd(torch.cat([s, torch.sqrt((w ** 2).sum(1) + 1e-8)], -1))
            a_vv, a_sv, a_ss = a[:, :f], a[:, f:2 * f], a[:, 2 * f:]
            v = v + a_vv.unsqueeze(1) * u
            s = s + a_ss + a_sv * (u * w).sum(1)
        else:
            s = s + self.upd(torch.cat([s, ds], -1))
        return s, v


class EquivariantGN(nn.Module):
    """glassnet's model: inherent-state inputs, a PaiNN-style equivariant trunk, one head per
    (timescale, type).

    Node inputs: type (one-hot), and, from the configuration and its inherent state (LJ units):
    the inherent-state energy, the displacement to the inherent state (vector and length) and the force
    on the particle in the given configuration (vector and length); the vectors saturate smoothly
    (:func:`_saturate`) so that the output stays bounded far outside the training range. Edges join pairs closer than
    ``r_cut`` in the given configuration; their features are radial bases of the pair distance in the
    given configuration and in the inherent state. Vector features rotate with the input, scalar
    features and outputs are invariant under every rotation and reflection (no augmentation needed).
    """

    needs_inherent = True
    invariant = True

    def __init__(self, config: EquivariantConfig = EquivariantConfig()):
        super().__init__()
        c = self.config = config
        if c.hidden < 1 or c.layers < 1 or c.n_rbf < 2 or c.n_outputs < 1:
            raise ModelError(f"invalid model config {config}")
        n_scalar = c.n_types + (3 if c.inherent else 1)
        n_vec = 2 if c.inherent else 1
        n_edge = c.n_rbf * (2 if c.inherent else 1)
        self.embed = nn.Sequential(nn.Linear(n_scalar, c.hidden), nn.SiLU(), nn.Linear(c.hidden, c.hidden))
        self.embed_v = nn.Linear(n_vec, c.hidden, bias=False) if c.vectors else None
        self.layers = nn.ModuleList(_PaiNNLayer(c.hidden, n_edge, c.vectors) for _ in range(c.layers))
        n_heads = c.n_outputs * (c.n_types if c.type_heads else 1)
        self.head = nn.Sequential(nn.Linear(c.hidden, c.hidden), nn.SiLU(), nn.Linear(c.hidden, n_heads))

    def __repr__(self):
        return f"EquivariantGN({self.config!r})"

    @staticmethod
    def transform(t: dict, m: torch.Tensor) -> dict:
        """The inputs with a 3x3 orthogonal map applied to every vector (edges, node vectors)."""
        return {**t, "edges": t["edges"] @ m.T, "shift": t["shift"] @ m.T,
                "vectors": torch.einsum("ij,njk->nik", m, t["vectors"])}

    def tensors(self, positions, types, box, inherent=None, device=None) -> dict[str, torch.Tensor]:
        """The input tensors of one configuration (positions in sigma; ``inherent`` an InherentState)."""
        c = self.config
        dev = device or next(self.parameters()).device
        g = build_graph(positions, types, box, c.r_cut, self_edges=False)
        types = np.asarray(types)
        if types.max(initial=0) >= c.n_types:
            raise ModelError(f"type {types.max()} but the model knows {c.n_types} types")
        onehot = np.eye(c.n_types)[types]
        if inherent is None:
            raise ModelError("this model needs the inherent state of the configuration (forces come "
                             "with it): glassnet.propensity.inherent_state")
        shift = np.zeros((len(types), 3))
        if c.inherent:
            shift = np.asarray(inherent.positions, np.float64) - np.asarray(positions, np.float64)
            d = _saturate(shift, _DISPLACEMENT_SATURATION)
            f = _saturate(np.asarray(inherent.forces, np.float64) / _FORCE_SCALE, _FORCE_SATURATION)
            scal = np.column_stack([onehot, np.asarray(inherent.energies) + _ENERGY_OFFSET,
                                    np.linalg.norm(d, axis=1), np.linalg.norm(f, axis=1)])
            vec = np.stack([d, f], axis=-1)
        else:
            f = _saturate(np.asarray(inherent.forces, np.float64) / _FORCE_SCALE, _FORCE_SATURATION)
            scal = np.column_stack([onehot, np.linalg.norm(f, axis=1)])
            vec = f[..., None]

        def t(a, dtype=torch.float32):
            return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=dev)

        return {"scalars": t(scal), "vectors": t(vec), "shift": t(shift), "types": t(types, torch.long),
                "edges": t(g.edges), "senders": t(g.senders, torch.long),
                "receivers": t(g.receivers, torch.long)}

    def forward(self, scalars, vectors, shift, types, edges, senders, receivers) -> torch.Tensor:
        """(N, n_outputs) predictions for the particles' own types.

        ``shift`` (N, 3) is each particle's displacement to the inherent state (sigma), used for the
        pair distances there; ``vectors`` holds the saturated vector inputs.
        """
        c = self.config
        r = torch.linalg.vector_norm(edges, dim=-1)
        unit = edges / r.unsqueeze(-1)
        feat = _rbf(r, c.n_rbf, c.r_cut)
        if c.inherent:
            d = shift
            r_is = torch.linalg.vector_norm(edges + d.index_select(0, receivers) - d.index_select(0, senders),
                                            dim=-1)
            feat = torch.cat([feat, _rbf(r_is, c.n_rbf, c.r_cut) * (r < c.r_cut).unsqueeze(-1)], -1)
        s = self.embed(scalars)
        v = self.embed_v(vectors) if c.vectors else None
        for layer in self.layers:
            s, v = layer(s, v, feat, unit, senders, receivers)
        out = self.head(s)
        if not c.type_heads:
            return out
        out = out.view(-1, c.n_types, c.n_outputs)
        return out.gather(1, types.view(-1, 1, 1).expand(-1, 1, c.n_outputs)).squeeze(1)


#: architecture name (as stored in checkpoints and chosen with ``glassnet train --model``) -> classes
ARCHITECTURES = {"bapst": (BapstGN, ModelConfig), "equivariant": (EquivariantGN, EquivariantConfig)}


def predict_tensors(model: nn.Module, t: dict, symmetrize: bool = False) -> np.ndarray:
    """(N, n_outputs) float64 predictions of a model on its input tensors, without gradients.

    With ``symmetrize=True`` the prediction is averaged over the 48 cube symmetries applied to every
    input vector (exactly invariant under them).
    """
    was_training = model.training
    model.eval()
    with torch.no_grad():
        if symmetrize:
            mats = torch.as_tensor(CUBE_SYMMETRIES, dtype=torch.float32, device=t["edges"].device)
            out = sum(model(**model.transform(t, m)).double() for m in mats) / len(mats)
        else:
            out = model(**t).double()
    model.train(was_training)
    return out.cpu().numpy()


def symmetry_spread(model: nn.Module, t: dict) -> float:
    """How far a model is from invariance under the 48 cube symmetries on one input.

    Returns:
        mean over particles and outputs of the std of predictions across the 48 symmetries, divided by
        the std across particles of the symmetry-averaged prediction (0 = invariant).
    """
    mats = torch.as_tensor(CUBE_SYMMETRIES, dtype=torch.float32, device=t["edges"].device)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        preds = torch.stack([model(**model.transform(t, m)) for m in mats]).double()
    model.train(was_training)
    return float(preds.std(dim=0).mean() / preds.mean(dim=0).std(dim=0).mean())
