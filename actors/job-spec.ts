// The job spec: one declaration of every field (type, default, bounds, meaning) from which the
// TypeScript type, validation with file/line/field errors, flag overrides and docs all derive.
import type { PprRelationOptions } from '../kernels/sampling/types.js';
import { EVAL_SEQUENCE_BYTES, mib, sequenceBytes } from '../kernels/nn/sequence-memory.js';
import { dirname, resolve as resolvePath } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, type Node as YamlNode } from 'yaml';
import { ConfigError } from '../runtime/errors.js';
import { nearestNames } from '../runtime/nearest-names.js';
import { readConfigText } from '../runtime/config-file.js';
import {
  DEFAULT_DENSIFY,
  checkDensifyOptions,
  specFieldNames,
} from '../graph-store/densify-options.js';

type FieldDecl =
  | { kind: 'int'; default: number; min?: number; max?: number; doc: string }
  | {
      kind: 'number';
      default: number;
      min?: number;
      max?: number;
      /** Exclusive bounds: the value must be above `above` and below `below`. */
      above?: number;
      below?: number;
      doc: string;
    }
  | { kind: 'bool'; default: boolean; doc: string }
  | { kind: 'string'; default: string; doc: string }
  | { kind: 'enum'; default: string; values: readonly string[]; doc: string }
  | { kind: 'ints'; default: number[]; min?: number; max?: number; doc: string }
  | { kind: 'fanoutMap'; default: Record<string, number[]>; doc: string }
  | { kind: 'strings'; default: string[]; doc: string }
  | { kind: 'numbers'; default: number[]; min?: number; max?: number; doc: string };

const int = (d: number, doc: string, min?: number, max?: number) =>
  ({ kind: 'int', default: d, min, max, doc }) as const;
const num = (d: number, doc: string, min?: number, max?: number) =>
  ({ kind: 'number', default: d, min, max, doc }) as const;
/** A number within open or closed bounds, e.g. `{ above: 0, max: 10 }` for 0 < x <= 10. */
const numIn = (
  d: number,
  doc: string,
  range: { min?: number; max?: number; above?: number; below?: number },
) => ({ kind: 'number', default: d, ...range, doc }) as const;
const bool = (d: boolean, doc: string) => ({ kind: 'bool', default: d, doc }) as const;
const str = (d: string, doc: string) => ({ kind: 'string', default: d, doc }) as const;
const oneOf = <const V extends readonly string[]>(d: V[number], values: V, doc: string) =>
  ({ kind: 'enum', default: d, values, doc }) as const;
const ints = (d: number[], doc: string, min?: number, max?: number) =>
  ({ kind: 'ints', default: d, min, max, doc }) as const;
/** A mapping of names to per-hop fanouts (each >= 0), empty by default. */
const fanoutMap = (doc: string) =>
  ({ kind: 'fanoutMap', default: {} as Record<string, number[]>, doc }) as const;
const nums = (d: number[], doc: string, min?: number, max?: number) =>
  ({ kind: 'numbers', default: d, min, max, doc }) as const;
/** A list of names, empty by default. */
const strs = (doc: string) => ({ kind: 'strings', default: [] as string[], doc }) as const;

/** Every field of a job spec, grouped by section. Order here is the order in docs. */
export const JOB_FIELDS = {
  name: str(
    'weft-job',
    'Job name: used in NATS subjects, metric labels and the default run directory.',
  ),
  graph: str('', 'Graph directory written by `weft graph build` or `weft graph synth`.'),
  task: oneOf(
    'node',
    ['node', 'link'] as const,
    'node: node classification; link: link prediction.',
  ),
  out: str('', 'Run directory (results.json, metrics.jsonl, checkpoints/). Default runs/<name>.'),
  densify: {
    enabled: bool(
      false,
      'Cold-start densification before training (docs/densification.md): nodes of densify.nodeType with out-degree at or below the lowPercentile of their type get edges to their k most similar nodes at or above the highPercentile (cosine of content features), as the relation nodeType__relation__nodeType of a new graph version written once beside the graph (GRAPH.versions/densify-<hash>) and trained on; time-aware on temporal graphs. Works in weft train and weft launch.',
    ),
    nodeType: str('', "Node type to densify ('' = the graph's only type)."),
    relation: str(
      'similar',
      'Name of the added relation (an edge type of its own, so model.encoder rgcn weights it).',
    ),
    lowPercentile: num(
      30,
      'Low-degree nodes: out-degree at or below this percentile of their type.',
      0,
      100,
    ),
    highPercentile: num(
      90,
      'Well-connected nodes: out-degree at or above this percentile (and above the low threshold).',
      0,
      100,
    ),
    k: int(
      50,
      'Edges added per low-degree node (fewer where the time rule allows fewer).',
      1,
      1000,
    ),
    features: str(
      'input',
      "Content the similarity is measured on: 'input' (the graph's node features) or a .npy file of embeddings (rows = the type's nodes or all nodes; relative to the spec's folder).",
    ),
    index: oneOf(
      'auto',
      ['auto', 'hnsw', 'exact'] as const,
      'Nearest-neighbour search: hnsw (hnswlib-node), exact (chunked brute force), auto: exact up to 2e8 query-candidate pairs, hnsw above.',
    ),
    recallSample: int(
      200,
      "With hnsw: queries whose neighbours are checked against exact search; the recall is in the version's provenance.",
      0,
      100000,
    ),
    efSearch: int(128, 'HNSW search breadth (at least k is used).', 1, 100000),
    degreeRelations: str(
      '',
      "Relations whose out-edges the degree percentiles count, comma-separated names (e.g. 'applied'): the interactions a cold start lacks; '' = every relation out of the node.",
    ),
    edgeTime: oneOf(
      'neighbour',
      ['neighbour', 'both'] as const,
      "On a temporal graph, the time an added edge u→v carries: neighbour: v's first activity, so the temporal sampler shows u its content neighbours from its own first interaction on; both: the later of u's and v's first activities (hidden from u's first interaction).",
    ),
  },
  model: {
    encoder: oneOf(
      'sage',
      ['sage', 'gat', 'rgcn', 'gcn'] as const,
      "Message-passing layers (docs/encoders.md): sage: GraphSAGE mean of neighbours, edge-weighted when the graph has weights; gat: multi-head graph attention over the sampled neighbours and the node itself (model.attention); rgcn: relation-aware, one weight per edge type of the graph over that relation's neighbour mean (model.relations); gcn: GCN's symmetric normalisation 1/sqrt(d_i·d_j) with self loops, degrees in the sampled block, one weight per layer (the homogeneous case; edge weights ignored).",
    ),
    inputProjection: oneOf(
      'shared',
      ['shared', 'per-type'] as const,
      "How input rows reach the first layer (docs/encoders.md). shared: every node type's features as they are, one first-layer weight for all; per-type: each node type its own projection to model.hidden (x[cols_t]·W_t + b_t over the type's own feature columns when the graph's manifest names them, the whole row otherwise; a type without features gets a learned vector), so types with different feature spaces and widths meet in one space. per-type needs unfused first layers (it turns sampling.fuseFirstLayer off) and no model.structuralFeatures.",
    ),
    featurelessInput: oneOf(
      'vector',
      ['vector', 'id'] as const,
      "With model.inputProjection per-type: what a node type without features reads (docs/encoders.md). vector: one learned vector per type, the same for all its nodes; id: that vector plus the node's own learned row of width model.hidden from the ID-embedding table (sparse rows on the parameter servers, trained with model.idEmbedding's optimizer, lr and initScale; an id training never reached reads zeros, so its type's vector alone), so nodes of a featureless type can differ. Needs train.sync aggregate.",
    ),
    layers: int(2, 'Encoder layers (= sampling hops).', 1, 6),
    hidden: int(128, 'Hidden and embedding width.', 1, 4096),
    dropout: num(0.5, 'Dropout on layer inputs during training.', 0, 0.95),
    norm: oneOf('none', ['none', 'l2', 'layer'] as const, 'Normalisation of each layer output.'),
    featureNorm: oneOf(
      'auto',
      ['auto', 'none', 'row'] as const,
      'Node features as the model reads them. row: each row divided by its sum (bag-of-words and counts, as GCN and GraphSAGE preprocess them); none: as stored; auto: row for a small labelled set (train.smallLabelled) whose features are all non-negative and whose samplers hold the whole graph (not cluster.partitions), else none.',
    ),
    structuralFeatures: bool(
      false,
      "Append each node's log out- and in-degree to its features, counted over the edges training may see (for link prediction only edges before the first held-out interaction; docs/evaluation.md): lets the model learn popularity, which carries users it has never seen. With cluster.partitions the samplers exchange their counts at start-up (docs/distributed.md). A graph without features gets these two columns alone.",
    ),
    decoder: oneOf(
      'dot',
      ['dot', 'cosine', 'mlp'] as const,
      'Link prediction: score of a (src, dst) pair. dot: dot product of the embeddings; cosine: cosine similarity times 5 (LinkSAGE; insensitive to embedding norms, so popular nodes do not win by norm alone); mlp: an MLP over their element-wise product.',
    ),
    attention: {
      heads: int(
        8,
        'model.encoder gat: attention heads of each hidden layer, concatenated; model.hidden must be a multiple of it.',
        1,
        64,
      ),
      outputHeads: int(
        1,
        'model.encoder gat: attention heads of the output layer, averaged.',
        1,
        64,
      ),
      dropout: num(
        0.6,
        'model.encoder gat: dropout on the attention coefficients during training (GAT uses 0.6 on Cora).',
        0,
        0.95,
      ),
      negativeSlope: num(0.2, 'model.encoder gat: LeakyReLU slope of the attention scores.', 0, 1),
    },
    relations: {
      bases: int(
        0,
        'model.encoder rgcn: shared bases the per-relation weights combine (R-GCN basis decomposition); 0 = one full weight per relation.',
        0,
        1024,
      ),
      aggregate: oneOf(
        'mean',
        ['sum', 'mean', 'attention'] as const,
        "model.encoder rgcn: how a node's per-relation messages combine beside its self weight. sum: Σ_r W_r·mean_r (R-GCN); mean (default): the same divided by the number of relations the node has in the sample, so a node with many relations is not scaled up (chosen on validation on the marketplace, bench/NOTES.md); attention: Σ_r α_r·m_r with m_r = W_r·mean_r and α the softmax, over the relations the node has in the sample, of a·tanh(W_a·m_r + b) (HAN's semantic attention, per node; learned per layer).",
      ),
      attentionDim: int(
        32,
        'model.relations.aggregate attention: width of the attention layer W_a that scores each relation message.',
        1,
        1024,
      ),
    },
    idEmbedding: {
      enabled: bool(
        false,
        "Per-node ID embeddings (docs/embeddings.md): each seed's row of a sparse table, held by the parameter servers and sharded by id hash, is added to the GNN output.",
      ),
      dim: int(
        0,
        "Row width of the ID-embedding table; 0 = the model's output width (no projection), otherwise a learned [dim × output] projection is added.",
        0,
        4096,
      ),
      optimizer: oneOf(
        'adagrad',
        ['adagrad', 'lazy-adam'] as const,
        'Row-wise optimizer of the table on the parameter servers: only the rows of a push change.',
      ),
      lr: num(
        0.05,
        'Learning rate of the ID-embedding table (not scaled with train.localSteps), 0..10.',
        0,
        10,
      ),
      rowDropout: num(
        0,
        "Chance that a training seed's ID row is replaced by the unseen row (zeros) for one step, its gradient dropped: the model learns to score from the GNN alone, as it must for nodes with no training edges (evaluation gives every node without a row the unseen row). Use 0.2-0.5 when many evaluation sources are new; 0..0.95.",
        0,
        0.95,
      ),
      initScale: num(
        0.05,
        'A new row is uniform in [-initScale, initScale], drawn from (train.seed, node id) alone.',
        0,
        10,
      ),
    },
    temporal: {
      enabled: bool(
        false,
        "Link task: LiGNN's temporal activity model (docs/temporal.md). Each pair's source gets its last model.temporal.sequenceLength activities before the pair's time, encoded through a causal transformer and combined with its graph embedding into model.temporal.embeddings member embeddings, scored against the destination's graph embedding.",
      ),
      sequenceLength: int(
        100,
        'N: activities (edges of the member strictly before the pair time, newest kept) per sequence; fewer are padded and masked.',
        1,
        1000,
      ),
      layers: int(1, 'Causal transformer layers over the sequence.', 1, 2),
      heads: int(
        4,
        'Attention heads of each transformer layer; model.hidden must be a multiple of it.',
        1,
        64,
      ),
      embeddings: int(4, "H: member embeddings (LiGNN's multiple embeddings per member).", 1, 16),
      score: oneOf(
        'max',
        ['max', 'attention'] as const,
        "Combining the H scores of a target: max, the best embedding's; attention, their softmax-weighted mean.",
      ),
      timeEncoding: oneOf(
        'sinusoidal',
        ['sinusoidal', 'learned'] as const,
        'Encoding of log(1 + gap) between an activity and the pair time: sinusoidal, fixed sinusoids with a learned projection; learned, one vector per bucket of width 0.5.',
      ),
      pointer: bool(
        true,
        "Pointer (copy) term: a target that is one of the member's last N activity nodes gains gate × its attention weight over the sequence (docs/temporal.md); the gate starts at 0, so the model starts from the embeddings' scores.",
      ),
      targetRecency: bool(
        false,
        "Target-recency term: each target's score gains a learned function (weights starting at 0) of log(1 + time since the target's newest edge before the pair's time), or of its having none (docs/temporal.md). The sampler ships one gap per target; exact ranking (eval.ranking: exact) adds the term to every candidate at the pair's time. With model.temporal.enabled false the static link model's decoder scores gain the same term (a control for the temporal model, and a cheap model of its own). Needs task: link and explicit negatives: link.negatives uniform or degree.",
      ),
      pairRecency: bool(
        false,
        "Pair-recency term: each target's score gains a learned function (weights starting at 0) of log(1 + time since the member's newest activity with that very target among its last N), or of its having none there (docs/temporal.md). Unlike the pointer it is not shared out across the activities: every recent partner gets its full term. Exact ranking (eval.ranking: exact) adds it to every candidate from the pair's activities. Needs model.temporal.enabled.",
      ),
      pairRank: bool(
        false,
        "The pair-recency term also weighs the target's recency rank among the member's partners: how many other partners it interacted with since its newest interaction with the target (buckets 0, 1, 2, 3, 4-7, 8-15, 16-31, 32+, none; weights starting at 0). The gap alone cannot say which of two partners written to minutes apart is the newer one; the rank does (docs/temporal.md). Needs model.temporal.pairRecency.",
      ),
      pairWindow: int(
        0,
        "Where the pair-recency term looks for the member's newest interaction with a target: 0, among its last N activities (model.temporal.sequenceLength); M > 0, among its M most recent distinct partners before the pair's time over its whole history, however long ago (the sampler scans the member's edges back from the pair's time until it has M of them, so a partner outside the sequence still gets its gap). Needs model.temporal.pairRecency.",
        0,
        100_000,
      ),
      longTerm: {
        enabled: bool(
          false,
          "Long-term loss: the member's H embeddings also score its activities in (t, t + window] of each window against other members' (docs/temporal.md), only edges before the validation period.",
        ),
        windows: ints(
          [604_800, 2_592_000],
          "Windows after the pair time, in the graph's timestamp units (default 7 and 30 days in seconds).",
          1,
        ),
        weights: nums([0.5, 0.25], 'Loss weight of each window (one per window).', 0, 100),
        targets: int(
          8,
          'Activities per window and pair, at most (spread evenly over the window).',
          1,
          256,
        ),
      },
    },
  },
  sampling: {
    strategy: oneOf(
      'uniform',
      ['uniform', 'weighted', 'temporal', 'ppr'] as const,
      'Neighbour sampler.',
    ),
    fanouts: ints([15, 10], 'Neighbours per hop, seeds first (length = model.layers).', 1, 10000),
    relationFanouts: fanoutMap(
      "Per-relation fanouts (docs/encoders.md): relation name (the edge type's key src__rel__dst, or rel alone when only one edge type has it) to its neighbours per hop (each 0..10000; length = model.layers). Each listed relation draws its own count from its own edges of a row, newest first under temporal sampling; the relations not listed are drawn together at sampling.fanouts. In YAML a mapping; with --set `name=10,5;other=3,2`. Uniform and temporal sampling only, not with sampling.budget; with cluster.partitions the owners send each window's edge types and the batches equal the whole-graph sampler's.",
    ),
    ppr: {
      topK: int(
        0,
        "PPR neighbours as a relation (docs/encoders.md, LiGNN's multi-hop neighbours): each node of the first sampling.ppr.hops hops also aggregates its topK nodes of highest personalized PageRank (Andersen–Chung–Lang push), after its drawn neighbours; with model.encoder rgcn they are one more relation with its own weights, with sage they join the neighbourhood. On link tasks the walk follows only edges before the pair's time, so no held-out edge leaks. 0 = off. Uniform and temporal sampling, whole-graph samplers (not cluster.partitions).",
        0,
        1024,
      ),
      hops: int(
        1,
        'Hops whose nodes get PPR neighbours, from the seeds (1..model.layers); each push costs about 1/(alpha·epsilon) edge reads at most.',
        1,
        16,
      ),
      alpha: numIn(
        0.25,
        'Restart probability of the PPR walk (as in PPRGo); also sampling.strategy ppr.',
        {
          above: 0,
          below: 1,
        },
      ),
      epsilon: numIn(
        1e-4,
        'Push threshold: a node is pushed while its residual >= epsilon · its out-degree; smaller is more exact and slower. Also sampling.strategy ppr.',
        { above: 0, below: 1 },
      ),
    },
    batchSize: int(1024, 'Seeds (or seed edges) per mini-batch.', 1, 1 << 20),
    samplers: int(
      1,
      'Sampler worker threads of an embedded job (a distributed job scales with cluster.samplers processes).',
      1,
      64,
    ),
    prefetch: int(4, 'Batches sampled ahead of the trainer (queue depth).', 1, 1024),
    fuseFirstLayer: bool(
      true,
      "Samplers also compute the first layer's neighbour mean (features carry no gradient), shipping numDst rows instead of numSrc.",
    ),
    handoff: oneOf(
      'shm',
      ['shm', 'clone', 'inline'] as const,
      'shm: shared-memory queue; clone: postMessage; inline: sample in the trainer thread.',
    ),
    adaptive: {
      enabled: bool(
        false,
        'Adaptive neighbour sampling: start from small fanouts and grow them when the validation metric stalls (docs/speedups.md).',
      ),
      start: ints([5], 'Starting fanouts: one per hop, or one value for every hop.', 1, 10000),
      step: int(5, 'Neighbours added to every hop on a stall.', 1, 10000),
      cap: int(200, 'Largest fanout of any hop.', 1, 10000),
      threshold: num(
        0.005,
        'A stall: the validation metric improved by less than this since the previous evaluation.',
        0,
      ),
      metric: oneOf(
        'auto',
        ['auto', 'auc', 'mrr', 'hits@10', 'accuracy', 'macro_f1'] as const,
        'Validation metric watched for stalls (auto: auc for link, accuracy for node).',
      ),
    },
    budget: {
      mode: oneOf(
        'fixed',
        ['fixed', 'degree', 'weight'] as const,
        "Per-node fanout budgets (docs/speedups.md). fixed: every node draws the hop's fanout f. degree: node v draws about f·(deg_v / mean degree)^alpha, so hubs get more neighbours and leaves fewer. weight: the same with deg_v replaced by the effective number of neighbours of v's edge weights, exp(entropy of w / sum w), so a node whose weight sits on few edges draws fewer (needs edge weights). A per-hop factor keeps every hop's sampled edges at the fixed fanout's; with adaptive sampling f is the current adaptive fanout. Not with sampling.strategy ppr; with cluster.partitions the owners send each row's score and the batches equal the whole-graph sampler's.",
      ),
      alpha: num(
        0.5,
        'Exponent of the budget rule, 0..1: 0 = every node draws f (fixed), 1 = budgets proportional to degree (or effective neighbours); 0.5: a node with 4x the mean degree draws about 2x f.',
        0,
        1,
      ),
      min: int(
        1,
        "Fewest draws of a node with neighbours (lowered to f when the hop's fanout is smaller).",
        1,
        10000,
      ),
      maxScale: num(
        4,
        "Most draws of one node, as a multiple of the hop's fanout: k_v <= ceil(maxScale·f) (also sizes the batch buffers).",
        1,
        1000,
      ),
    },
  },
  train: {
    epochs: int(10, 'Passes over the training seeds.', 1, 100000),
    lr: numIn(0.01, 'Learning rate, above 0 and at most 10.', { above: 0, max: 10 }),
    optimizer: oneOf(
      'adam',
      ['adam', 'adamw', 'sgd', 'adagrad'] as const,
      'Optimizer applied by the parameter server.',
    ),
    weightDecay: num(0, 'L2 (adam, sgd, adagrad) or decoupled (adamw) weight decay, 0..1.', 0, 1),
    momentum: numIn(0.9, 'SGD momentum, at least 0 and below 1.', { min: 0, below: 1 }),
    seed: int(0, 'Seed of every random choice: same seed, same run.', 0),
    localSteps: int(
      1,
      'Mini-batches per trainer between syncs: gradients aggregated locally into one update (LiGNN N; train.sync aggregate or async), or local optimizer steps before the deltas are averaged (K; local-sgd).',
      1,
      4096,
    ),
    lrScaling: oneOf(
      'none',
      ['none', 'linear', 'sqrt'] as const,
      'Learning-rate rule when localSteps > 1.',
    ),
    sync: oneOf(
      'aggregate',
      ['aggregate', 'local-sgd', 'async'] as const,
      'Parameter sync of a distributed job (weft launch; an embedded weft train always aggregates). aggregate: synchronous rounds, each trainer pushes the mean gradient of its localSteps batches; local-sgd: each trainer takes localSteps (K) optimizer steps on its own copy, the shards average the parameter deltas; async: no barrier, a shard applies each update at once and rejects one computed on a version more than train.staleness behind (docs/distributed.md).',
    ),
    staleness: int(
      4,
      'With train.sync async: the most versions a shard may have advanced past the one an update was computed on; a staler update is refused and recomputed.',
      0,
      1000,
    ),
    patience: int(0, 'Early stopping: epochs without validation improvement (0 = off).', 0),
    evalEvery: int(1, 'Evaluate on validation every N epochs.', 1),
    checkpointEvery: int(
      1,
      'Checkpoint every N epochs (0 = only at the end); a new best validation is always checkpointed and kept as the best (weft eval scores it by default).',
      0,
    ),
    checkpointStore: oneOf(
      'path',
      ['path', 'jetstream'] as const,
      "Where checkpoints go: 'path' (RUN_DIR/checkpoints/, a shared volume) or 'jetstream' (a JetStream object store on the job's NATS; weft launch and weft actor only).",
    ),
    checkpointBucket: str(
      '',
      'Object-store bucket of a jetstream checkpoint store (default weft-ckpt-<job>).',
    ),
    maxStepsPerEpoch: int(0, 'Cap on steps per epoch (0 = all seeds).', 0),
    onNonFinite: oneOf(
      'fail',
      ['fail', 'rollback'] as const,
      'A non-finite loss, gradient or parameter (docs/operations.md). fail: the job stops with an error naming the epoch, step and tensor. rollback: the shards reload the last checkpoint (every checkpoint is finite; before the first, the initial parameters), the learning rate is multiplied by train.rollbackLrFactor and the epochs after the checkpoint are replayed; after train.maxRollbacks such rollbacks the job fails.',
    ),
    maxRollbacks: int(
      3,
      'With train.onNonFinite rollback: non-finite rollbacks a job may take before it fails.',
      1,
      100,
    ),
    rollbackLrFactor: numIn(
      0.5,
      'With train.onNonFinite rollback: each rollback multiplies the learning rate by this (above 0, below 1); the lowered rate is checkpointed and kept by --resume.',
      { above: 0, below: 1 },
    ),
    smallLabelled: oneOf(
      'auto',
      ['auto', 'off', 'applied'] as const,
      'Defaults chosen by the data for a node task with fewer than 1,000 training nodes that are under 20 % of the graph nodes (the Planetoid case, docs/small-labelled.md): each of sampling.batchSize, train.epochs, train.weightDecay and eval.fullNeighbors still at its default becomes a quarter of the training nodes (at least 16), enough epochs for 120 optimizer steps, 5e-4, and true (graphs up to 5M edges). off: the general defaults; applied: set by the job once it has put the chosen values in its spec (a resumed run keeps them).',
    ),
    mlpInit: {
      enabled: bool(
        false,
        "MLPinit: first train the encoder's weights as a plain MLP on node features (no graph reads), then start the GNN from them.",
      ),
      epochs: int(1, 'Passes of the MLP over the training seeds.', 1, 1000),
    },
  },
  link: {
    edgeType: str(
      '',
      'Edge type key src__rel__dst to predict (default: the only or the first timestamped one).',
    ),
    negatives: oneOf(
      'uniform',
      ['uniform', 'in-batch', 'degree', 'hard'] as const,
      "Training negatives, always of the destination type (docs/evaluation.md). uniform: link.numNegatives destinations drawn uniformly; in-batch: the other pairs' destinations in the batch; degree: drawn with probability ∝ (in-degree + 1)^0.75 (word2vec, PinSage), a true destination of the source redrawn; hard: a pool of link.hard.pool × link.numNegatives uniform destinations (true ones redrawn) is scored by the current model and the link.hard.ratio share of the negatives are its top-scored, the rest uniform from the pool.",
    ),
    hard: {
      pool: int(
        4,
        'link.negatives hard: candidates drawn per negative kept; the model scores them all in the batch.',
        1,
        64,
      ),
      ratio: num(
        0.5,
        'link.negatives hard: share of the negatives taken as the top-scored candidates (the rest uniform).',
        0,
        1,
      ),
    },
    numNegatives: int(1, 'Negatives per positive.', 1, 1000),
    historyNegatives: num(
      0,
      "Share of each training pair's negatives drawn from its source's earlier partners (nodes of the destination type it interacted with before the pair's time, not the pair's destination), the rest as link.negatives says (uniform ones then filtered against true destinations). Other negatives are almost never a member's earlier partner, so without them training never contrasts the partner a member turns to now with the ones it turned to before; exact ranking asks exactly that (docs/evaluation.md). Needs edge timestamps and link.negatives uniform or degree; round(share × numNegatives) per pair.",
      0,
      1,
    ),
    loss: oneOf('bce', ['bce', 'bpr'] as const, 'Pairwise loss.'),
    valFraction: num(
      0.1,
      'Newest share of the edges held out for validation (a relation with a split stored by graph build holds out exactly its own).',
      0,
      0.5,
    ),
    testFraction: num(
      0.1,
      'Newest share of the edges held out for test (a relation with a split stored by graph build holds out exactly its own).',
      0,
      0.5,
    ),
    groupSize: int(
      1,
      "Grouping and slicing: a member's training edges are grouped and sliced at this size; the member is sampled and encoded once per group (1 = off).",
      1,
      4096,
    ),
    stepsPerGroup: int(
      1,
      "Gradient steps taken over a batch of groups: each step trains its share of every group's items (1 <= S <= groupSize).",
      1,
      4096,
    ),
  },
  eval: {
    maxNodes: int(20000, 'Cap on validation/test seeds per evaluation (0 = all).', 0),
    batchSize: int(2048, 'Seeds per evaluation batch.', 1, 1 << 20),
    fullNeighbors: bool(
      false,
      'Evaluate with every neighbour instead of the training fanouts (exact, slower on hubs).',
    ),
    ranking: oneOf(
      'sampled',
      ['sampled', 'exact'] as const,
      'Link task (docs/evaluation.md): sampled: each positive ranked among 20 negatives drawn from the destination type; exact: also among every candidate of the destination type (exact_* metrics and the baselines on the same pairs beside the sampled ones), known positives of the source filtered out, scored on eval.workers threads.',
    ),
    cutoffs: ints(
      [10],
      'K of the hits@K and recall@K reported (hits@10 and recall@10 always are).',
      1,
      1_000_000,
    ),
    workers: int(
      0,
      'eval.ranking exact: threads that score the candidates (0 = every core this process may use).',
      0,
      256,
    ),
    candidateChunk: int(
      65536,
      'eval.ranking exact: candidates each thread scores per pass (memory per thread: 8 bytes each).',
      1,
      1 << 24,
    ),
    candidateSnapshots: int(
      0,
      'eval.ranking exact: times at which every candidate is embedded. The evaluated pairs, in time order, are cut into this many groups of about equal size, and each group is ranked against candidates embedded from neighbourhoods before its first pair (so, like the sampled ranking, a candidate that appears during the split is not ranked as the empty node it was at the split start). 0 = as many as keep snapshots × candidates within 262,144 embedded rows per evaluation, at most one per distinct pair time; 1 = every candidate once, before the split (cheapest).',
      0,
      1 << 20,
    ),
    relations: strs(
      'Link task (docs/evaluation.md): relations scored at every evaluation beside link.edgeType, each a key src__rel__dst or a relation name that only one edge type has, each with a timestamp column. Each is split by time like link.edgeType (link.valFraction, link.testFraction, or its stored split), and its held-out pairs are scored by the trained encoder and decoder with every metric, both baselines and, under eval.ranking exact, every candidate of its destination type; results.json, metrics.jsonl, the CLI and the report carry one block per relation. Training still optimises link.edgeType alone; early stopping and the best epoch follow it. Not with cluster.partitions.',
    ),
  },
  runtime: {
    backend: oneOf(
      'auto',
      ['auto', 'tensorflow', 'wasm', 'cpu'] as const,
      'TensorFlow.js backend.',
    ),
    transport: oneOf('inproc', ['inproc', 'nats'] as const, 'Actor transport.'),
    metricsPort: int(
      0,
      'Serve /metrics on this port (0 = off). Under weft launch any port turns metrics on and each process binds a free port of its own, listed in the Prometheus targets file.',
      0,
      65535,
    ),
    maxMessageBytes: int(
      256 * 1024 * 1024,
      'Largest message an actor of a distributed job takes: a larger one (its size is declared before it is pulled in chunks) is refused unread. Raise it above the largest shard of parameters or batch record.',
      1024 * 1024,
    ),
    pushgateway: str(
      '',
      'Prometheus Pushgateway URL: the job pushes its metrics there after every epoch and at the end, for jobs shorter than a scrape interval.',
    ),
  },
  cluster: {
    parameterServers: int(
      1,
      'Parameter-server shards: processes under `weft launch`, pods on Kubernetes.',
      1,
      256,
    ),
    samplers: int(
      1,
      'Sampler processes (pods) of a distributed job, each sampling on one thread (sampling.samplers stays 1 there).',
      1,
      1024,
    ),
    trainers: int(1, 'Trainer processes (pods).', 1, 1024),
    partitions: str(
      '',
      "Sampler processes own hash partitions of the graph and ask each other across them (docs/distributed.md): '' = off (every sampler opens the whole graph), 'auto' = the graph's own (built with --partitions), or a folder written by `weft graph partition`. Its part count must equal cluster.samplers; node tasks with uniform or weighted sampling, link tasks (not PPR).",
    ),
    nats: str(
      'local',
      "NATS server: 'local' (weft launch starts one; on Kubernetes the release installed from deploy/nats) or a nats:// URL.",
    ),
    auth: {
      user: str(
        '',
        "NATS user of the processes that join a server given by URL (weft actor, weft launch with a nats:// URL, Kubernetes pods), with passwordFile. '{role}' in any cluster.auth or cluster.tls field is replaced by the process's role (coordinator, ps, sampler, trainer), so each role can have its own user. Flags and WEFT_NATS_* variables override the section; with cluster.nats: local, weft launch makes per-role users of its own and ignores it.",
      ),
      passwordFile: str(
        '',
        "File holding the user's password (its first line). Paths in cluster.auth and cluster.tls are relative to the spec's folder.",
      ),
      tokenFile: str('', 'File holding a NATS token (its first line), instead of a user.'),
      credsFile: str(
        '',
        'NATS credentials file instead of a user: a .creds file (user JWT and nkey seed, servers in operator mode) or a file holding a user nkey seed.',
      ),
      controlSecretFile: str(
        '',
        "File holding the job's control secret (its first line), the same for every process: verbs that steer the job or change the model are honoured only with it (docs/operations.md). WEFT_CONTROL_SECRET overrides it; weft launch makes a fresh one when neither is set.",
      ),
    },
    tls: {
      caFile: str(
        '',
        "CA certificates (PEM) the NATS servers' certificates must chain to: connect with TLS and trust only these.",
      ),
      certFile: str(
        '',
        'Client certificate (PEM) for servers that verify their clients (mutual TLS), with keyFile.',
      ),
      keyFile: str('', 'Private key (PEM) of certFile.'),
      generate: bool(
        false,
        'weft launch with cluster.nats: local: its nats-server speaks only TLS, with a certificate from a CA made for the run (openssl; in a private folder removed at the end), and every process trusts only that CA.',
      ),
    },
    image: str('weft:0.1.0', 'Container image of every pod (weft deploy render).'),
    namespace: str('default', 'Kubernetes namespace of the rendered manifests.'),
    dataClaim: str(
      '',
      'PersistentVolumeClaim mounted at data/ and runs/ in every pod, so graph and run paths resolve there (empty = none).',
    ),
    resources: {
      coordinator: {
        cpu: str('1', 'CPU request of the coordinator pod (Kubernetes quantity: 2, 500m).'),
        memory: str(
          '2Gi',
          'Memory request and limit of the coordinator pod (Kubernetes quantity: 512Mi, 4Gi).',
        ),
      },
      ps: {
        cpu: str('2', 'CPU request of each parameter-server pod.'),
        memory: str('8Gi', 'Memory request and limit of each parameter-server pod.'),
      },
      sampler: {
        cpu: str('4', 'CPU request of each sampler pod.'),
        memory: str(
          '16Gi',
          'Memory request and limit of each sampler pod (holds its graph partitions).',
        ),
      },
      trainer: {
        cpu: str('4', 'CPU request of each trainer pod.'),
        memory: str('8Gi', 'Memory request and limit of each trainer pod.'),
      },
    },
    kubernetes: {
      runAsUser: int(
        1000,
        "User id every pod runs as (never root; 1000 is the image's `node` user).",
        1,
        2 ** 31 - 1,
      ),
      fsGroup: int(
        1000,
        'Group id that owns the mounted volumes, so the pods can write runs/ on cluster.dataClaim.',
        1,
        2 ** 31 - 1,
      ),
      credentialsSecret: str(
        '',
        'NATS credentials from Secrets: pods of role R load Secret `<value>-<R>` as their environment (WEFT_NATS_USER, WEFT_NATS_PASSWORD, WEFT_NATS_TOKEN, WEFT_NATS_CREDS, WEFT_CONTROL_SECRET) and see its files under /etc/weft/credentials; `weft deploy render` then also writes the matching NATS Helm values. Empty = no credentials.',
      ),
      tlsSecret: str(
        '',
        'Secret with ca.crt, tls.crt and tls.key (as cert-manager writes them), mounted at /etc/weft/tls: pods connect to NATS over mutual TLS. Empty = no TLS.',
      ),
      prometheusOperator: bool(
        true,
        'Render a PodMonitor and a PrometheusRule (the cluster runs the Prometheus operator).',
      ),
      monitorLabels: str(
        '',
        "Extra labels of the PodMonitor and the PrometheusRule, 'key=value,key=value', to match the Prometheus operator's podMonitorSelector and ruleSelector (e.g. 'release=prometheus').",
      ),
      dashboardLabels: str(
        'grafana_dashboard=1',
        "Labels of the dashboard ConfigMap, 'key=value,…': the Grafana sidecar loads ConfigMaps carrying its label.",
      ),
    },
  },
  timeouts: {
    startMs: int(
      180_000,
      'How long every actor may take to answer at the start (it loads its graph part and backend first), in ms.',
      1,
    ),
    askMs: int(
      60_000,
      'One request between actors (a pull, a load, a snapshot, a ledger), in ms; retried while the peer is restarting.',
      1,
    ),
    peerDeadlineMs: int(
      600_000,
      'How long a request is retried while its peer is unreachable (restarting, reconnecting) before the job fails, in ms.',
      1,
    ),
    reaskMs: int(
      5_000,
      "The coordinator repeats an epoch's request this often, so a restarted trainer picks it up (the repeat joins the work in progress), in ms.",
      1,
    ),
    evaluateMs: int(
      3_600_000,
      'One evaluation of a split on trainer 0, in ms (repeated only if the trainer is lost).',
      1,
    ),
    mlpInitMs: int(86_400_000, 'The MLPinit phase on trainer 0, in ms.', 1),
    pushMs: int(
      10_000,
      "One push of a round's gradient to a parameter server, waiting for the round's other trainers, in ms; retried (pushes are idempotent).",
      1,
    ),
    fetchMs: int(8_000, 'One request for a batch to a sampler over NATS, in ms; retried.', 1),
    fetchWaitMs: int(
      2_000,
      "How long a sampler holds a batch request before answering 'not ready' (the trainer then asks again), in ms.",
      0,
    ),
    queueMs: int(
      120_000,
      'How long a trainer waits for its next batch from a sampler of its own process (shared-memory queue or clone hand-off), in ms.',
      1,
    ),
    heartbeatMs: int(1_000, 'Heartbeat period of the actors of a distributed job, in ms.', 10),
    missedHeartbeats: int(
      5,
      'An actor of a distributed job is declared lost after this many missed heartbeats.',
      1,
    ),
  },
} as const;

type ValueOf<F> = F extends { kind: 'int' | 'number' }
  ? number
  : F extends { kind: 'bool' }
    ? boolean
    : F extends { kind: 'ints' | 'numbers' }
      ? number[]
      : F extends { kind: 'fanoutMap' }
        ? Record<string, number[]>
        : F extends { kind: 'strings' }
          ? string[]
          : F extends { kind: 'enum'; values: readonly (infer V)[] }
            ? V
            : F extends { kind: 'string' }
              ? string
              : { -readonly [K in keyof F]: ValueOf<F[K]> };

/** A resolved job spec: every field present and valid. */
export type JobSpec = { -readonly [K in keyof typeof JOB_FIELDS]: ValueOf<(typeof JOB_FIELDS)[K]> };

function isDecl(x: unknown): x is FieldDecl {
  return typeof x === 'object' && x !== null && 'kind' in x && 'doc' in x;
}

function defaultsOf(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fields)) {
    out[k] = isDecl(f) ? structuredClone(f.default) : defaultsOf(f as Record<string, unknown>);
  }
  return out;
}

export function defaultJobSpec(): JobSpec {
  return defaultsOf(JOB_FIELDS) as JobSpec;
}

interface Where {
  file?: string;
  lineOf(path: string[]): number | undefined;
}

function checkValue(decl: FieldDecl, value: unknown, path: string[], where: Where): unknown {
  const field = path.join('.');
  const fail = (what: string): never => {
    const line = where.lineOf(path);
    throw new ConfigError(`${what} (${decl.doc})`, {
      file: where.file && line ? `${where.file}:${line}` : where.file,
      field,
    });
  };
  const checkNumber = (v: unknown, integer: boolean): number => {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n))
      return fail(`expected a number, got ${JSON.stringify(v)}`);
    if (integer && !Number.isInteger(n)) return fail(`expected an integer, got ${n}`);
    const d = decl as { min?: number; max?: number; above?: number; below?: number };
    if (d.min !== undefined && n < d.min) return fail(`must be >= ${d.min}, got ${n}`);
    if (d.max !== undefined && n > d.max) return fail(`must be <= ${d.max}, got ${n}`);
    if (d.above !== undefined && !(n > d.above)) return fail(`must be > ${d.above}, got ${n}`);
    if (d.below !== undefined && !(n < d.below)) return fail(`must be < ${d.below}, got ${n}`);
    return n;
  };
  switch (decl.kind) {
    case 'int':
      return checkNumber(value, true);
    case 'number':
      return checkNumber(value, false);
    case 'bool':
      if (value === 'true' || value === true) return true;
      if (value === 'false' || value === false) return false;
      return fail(`expected true or false, got ${JSON.stringify(value)}`);
    case 'string':
      if (typeof value !== 'string' && typeof value !== 'number')
        return fail(`expected a string, got ${JSON.stringify(value)}`);
      return String(value);
    case 'enum':
      if (typeof value !== 'string' || !decl.values.includes(value))
        return fail(`expected one of ${decl.values.join(', ')}, got ${JSON.stringify(value)}`);
      return value;
    case 'ints':
    case 'numbers': {
      const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
      const what = decl.kind === 'ints' ? 'integers' : 'numbers';
      if (!Array.isArray(list) || list.length === 0)
        return fail(`expected a list of ${what}, got ${JSON.stringify(value)}`);
      return list.map((v) => checkNumber(v, decl.kind === 'ints'));
    }
    case 'fanoutMap':
      return checkFanoutMap(value, fail);
    case 'strings': {
      const list = typeof value === 'string' ? value.split(',') : value;
      if (!Array.isArray(list) || list.some((v) => typeof v !== 'string'))
        return fail(`expected a list of names, got ${JSON.stringify(value)}`);
      return (list as string[]).map((v) => v.trim()).filter((v) => v !== '');
    }
  }
}

/** A mapping (or `name=1,2;other=3` text) of names to per-hop fanouts, each in [0, 10000]. */
function checkFanoutMap(value: unknown, fail: (what: string) => never): Record<string, number[]> {
  const entries: [string, unknown][] =
    typeof value === 'string'
      ? value
          .split(';')
          .filter((part) => part.trim() !== '')
          .map((part) => {
            const eq = part.indexOf('=');
            if (eq < 1) return fail(`expected name=fanout,fanout; got ${JSON.stringify(part)}`);
            return [part.slice(0, eq).trim(), part.slice(eq + 1).split(',')];
          })
      : typeof value === 'object' && value !== null && !Array.isArray(value)
        ? Object.entries(value)
        : fail(
            `expected a mapping of relation names to fanout lists, got ${JSON.stringify(value)}`,
          );
  const out: Record<string, number[]> = {};
  for (const [name, list] of entries) {
    const items = Array.isArray(list) ? list : [list];
    out[name] = items.map((v) => {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (!(typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 10000))
        return fail(`${name}: fanout ${JSON.stringify(v)} must be an integer in [0, 10000]`);
      return n;
    });
  }
  return out;
}

function resolve(
  fields: Record<string, unknown>,
  input: unknown,
  path: string[],
  where: Where,
  base: Record<string, unknown>,
): Record<string, unknown> {
  if (input === undefined || input === null) return base;
  if (typeof input !== 'object' || Array.isArray(input)) {
    const line = where.lineOf(path);
    throw new ConfigError('expected a mapping of fields', {
      file: where.file && line ? `${where.file}:${line}` : where.file,
      field: path.join('.') || '(top level)',
    });
  }
  const out = { ...base };
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    const decl = fields[k];
    const p = [...path, k];
    if (decl === undefined) {
      const line = where.lineOf(p);
      throw new ConfigError(unknownFieldMessage(p, fields), {
        file: where.file && line ? `${where.file}:${line}` : where.file,
        field: p.join('.'),
      });
    }
    out[k] = isDecl(decl)
      ? checkValue(decl, v, p, where)
      : resolve(decl as Record<string, unknown>, v, p, where, base[k] as Record<string, unknown>);
  }
  return out;
}

/** cluster.auth and cluster.tls: one way to authenticate, a password with its user, a key with its certificate. */
function checkClusterAuth(spec: JobSpec, where: Where): void {
  const { auth, tls } = spec.cluster;
  const fail = (message: string, field: string) => {
    const line = where.lineOf(['cluster', ...field.split('.')]);
    throw new ConfigError(message, {
      file: where.file && line ? `${where.file}:${line}` : where.file,
      field: `cluster.${field}`,
    });
  };
  const ways = (['user', 'tokenFile', 'credsFile'] as const).filter((k) => auth[k] !== '');
  if (ways.length > 1)
    fail(
      `choose one of user (with passwordFile), tokenFile and credsFile, not ${ways.join(' and ')}`,
      `auth.${ways[1]}`,
    );
  if (auth.passwordFile && !auth.user) fail('needs cluster.auth.user', 'auth.passwordFile');
  if (tls.certFile && !tls.keyFile) fail('a client certificate needs its key', 'tls.keyFile');
  if (tls.keyFile && !tls.certFile) fail('a client key needs its certificate', 'tls.certFile');
  if (tls.generate && spec.cluster.nats !== 'local')
    fail(
      'makes a CA for the server weft launch starts (cluster.nats: local); give a server of your own its CA in caFile',
      'tls.generate',
    );
}

/** The file fields of cluster.auth and cluster.tls, which relative paths are resolved for. */
const CLUSTER_FILES = [
  ['auth', 'passwordFile'],
  ['auth', 'tokenFile'],
  ['auth', 'credsFile'],
  ['auth', 'controlSecretFile'],
  ['tls', 'caFile'],
  ['tls', 'certFile'],
  ['tls', 'keyFile'],
] as const;

/**
 * Makes the credential and certificate paths of cluster.auth and cluster.tls absolute, relative to
 * `dir` (the spec's folder when read from a file), so they mean the same in every process.
 */
export function resolveClusterFiles(spec: JobSpec, dir: string): JobSpec {
  for (const [section, field] of CLUSTER_FILES) {
    const s = spec.cluster[section] as Record<string, string>;
    if (s[field]) s[field] = resolvePath(dir, s[field]);
  }
  return spec;
}

/**
 * Whether samplers pre-aggregate the first layer: only GraphSAGE's mean can be computed before
 * the model sees the features; attention needs each neighbour's row.
 */
export function firstLayerFused(spec: {
  sampling: { fuseFirstLayer: boolean };
  model: { encoder: string; inputProjection?: string };
}): boolean {
  // Per-type projections come before any aggregation: the sampler cannot average raw rows.
  return (
    spec.sampling.fuseFirstLayer &&
    spec.model.encoder === 'sage' &&
    spec.model.inputProjection !== 'per-type'
  );
}

/** Whether featureless node types read their nodes' ID rows (model.featurelessInput id). */
export function featurelessReadsIds(spec: {
  model: { inputProjection?: string; featurelessInput?: string };
}): boolean {
  return spec.model.inputProjection === 'per-type' && spec.model.featurelessInput === 'id';
}

/**
 * Whether the job has an ID-embedding table: rows added to the seeds' outputs
 * (model.idEmbedding.enabled), or read as featureless types' inputs (model.featurelessInput id).
 */
export function usesIdTable(spec: JobSpec): boolean {
  // Specs of checkpoints written before the section existed have none: no table.
  const enabled = (spec.model.idEmbedding as JobSpec['model']['idEmbedding'] | undefined)?.enabled;
  return enabled === true || featurelessReadsIds(spec);
}

/** Per-type input projections against the rest of the job. */
function checkInputProjection(spec: JobSpec, where: Where): void {
  const at = (path: string[], field: string) => {
    const line = where.lineOf(path) ?? where.lineOf(['model', 'inputProjection']);
    return { file: where.file && line ? `${where.file}:${line}` : where.file, field };
  };
  if (spec.model.featurelessInput === 'id' && spec.model.inputProjection !== 'per-type')
    throw new ConfigError(
      `is id but model.inputProjection is ${spec.model.inputProjection}; featureless types read ID rows through per-type projections`,
      at(['model', 'featurelessInput'], 'model.featurelessInput'),
    );
  const dim = spec.model.idEmbedding.dim;
  if (featurelessReadsIds(spec) && dim > 0 && dim !== spec.model.hidden)
    throw new ConfigError(
      `is ${dim} but model.featurelessInput id reads rows of model.hidden (${spec.model.hidden}) from the same table; use 0 or ${spec.model.hidden}`,
      at(['model', 'idEmbedding', 'dim'], 'model.idEmbedding.dim'),
    );
  if (spec.model.inputProjection !== 'per-type') return;
  if (spec.model.structuralFeatures)
    throw new ConfigError(
      'appends degree columns that belong to no node type; model.inputProjection per-type reads each type its own columns',
      at(['model', 'structuralFeatures'], 'model.structuralFeatures'),
    );
}

/** sampling.ppr as the samplers' PPR relation; undefined when topK is 0. */
export function pprRelationOf(spec: {
  sampling: { ppr: { topK: number; hops: number; alpha: number; epsilon: number } };
}): PprRelationOptions | undefined {
  const { topK, hops, alpha, epsilon } = spec.sampling.ppr;
  return topK > 0 ? { topK, hops, alpha, epsilon } : undefined;
}

/** The relations a relation-aware encoder weighs: the graph's edge types, and PPR's when on. */
export function encoderRelations(spec: JobSpec, graphRelations: number): number {
  return graphRelations + (spec.sampling.ppr.topK > 0 ? 1 : 0);
}

/** The attention encoder's fields against the rest of the model. */
function checkEncoder(spec: JobSpec, where: Where): void {
  const at = (path: string[], field: string) => {
    const line = where.lineOf(path) ?? where.lineOf(['model', 'encoder']);
    return { file: where.file && line ? `${where.file}:${line}` : where.file, field };
  };
  const encoder = spec.model.encoder;
  if (encoder === 'sage') return;
  if (spec.model.norm !== 'none')
    throw new ConfigError(
      `is ${spec.model.norm} but model.encoder ${encoder} takes none`,
      at(['model', 'norm'], 'model.norm'),
    );
  if (encoder === 'gcn') return;
  if (encoder === 'rgcn') {
    // Edge types travel from samplers that read the sampled edges' CSR positions.
    if (spec.sampling.strategy === 'ppr')
      throw new ConfigError(
        `is ppr, whose neighbours are not graph edges and have no relation; model.encoder rgcn needs uniform, weighted or temporal`,
        at(['sampling', 'strategy'], 'sampling.strategy'),
      );
    if (spec.cluster.partitions)
      throw new ConfigError(
        'partition-owning samplers do not carry edge types yet; model.encoder rgcn needs whole-graph samplers',
        at(['cluster', 'partitions'], 'cluster.partitions'),
      );
    return;
  }
  const heads = spec.model.attention.heads;
  if (spec.model.hidden % heads !== 0)
    throw new ConfigError(
      `is ${heads} but model.hidden ${spec.model.hidden} is not a multiple of it; each head gets hidden/heads features`,
      at(['model', 'attention', 'heads'], 'model.attention.heads'),
    );
}

/** A thrower of ConfigErrors at a field's path, located at its line (else at `fallback`'s). */
function failAt(where: Where, fallback: string[]): (message: string, path: string[]) => never {
  return (message, path) => {
    const line = where.lineOf(path) ?? where.lineOf(fallback);
    throw new ConfigError(message, {
      file: where.file && line ? `${where.file}:${line}` : where.file,
      field: path.join('.'),
    });
  };
}

/** sampling.relationFanouts: one fanout per layer, with samplers that draw rows relation by relation. */
function checkRelationFanouts(spec: JobSpec, where: Where): void {
  const map = spec.sampling.relationFanouts;
  const names = Object.keys(map);
  if (names.length === 0) return;
  const fail = failAt(where, ['sampling', 'relationFanouts']);
  for (const name of names)
    if (map[name].length !== spec.model.layers)
      fail(
        `has ${map[name].length} hops but model.layers is ${spec.model.layers}; give one fanout per layer`,
        ['sampling', 'relationFanouts', name],
      );
  const strategy = spec.task === 'link' ? 'temporal' : spec.sampling.strategy;
  if (strategy === 'ppr' || strategy === 'weighted')
    fail(
      `per-relation fanouts draw uniformly or newest first, not with sampling.strategy ${strategy}`,
      ['sampling', 'relationFanouts'],
    );
  if (spec.sampling.budget.mode !== 'fixed')
    fail(`per-relation fanouts replace per-node budgets; sampling.budget.mode must be fixed`, [
      'sampling',
      'relationFanouts',
    ]);
}

/** eval.relations: link prediction only, and scored by a trainer that holds the whole graph. */
function checkEvalRelations(spec: JobSpec, where: Where): void {
  if (spec.eval.relations.length === 0) return;
  const fail = failAt(where, ['eval', 'relations']);
  if (spec.task !== 'link')
    fail(`relations are scored by link prediction; task is ${spec.task}`, ['eval', 'relations']);
  if (spec.cluster.partitions)
    fail(
      'each listed relation is split and scored on the trainer from the whole graph; with cluster.partitions the samplers hold it in parts',
      ['eval', 'relations'],
    );
}

/** sampling.ppr: hops within the layers, with samplers whose rows it can join. */
function checkPprRelation(spec: JobSpec, where: Where): void {
  const ppr = spec.sampling.ppr;
  if (ppr.topK === 0) return;
  const fail = failAt(where, ['sampling', 'ppr', 'topK']);
  if (ppr.hops > spec.model.layers)
    fail(`is ${ppr.hops} but model.layers is ${spec.model.layers}`, ['sampling', 'ppr', 'hops']);
  const strategy = spec.task === 'link' ? 'temporal' : spec.sampling.strategy;
  if (strategy === 'ppr' || strategy === 'weighted')
    fail(
      `PPR neighbours join rows drawn uniformly or in time, not with sampling.strategy ${strategy}`,
      ['sampling', 'ppr', 'topK'],
    );
  if (spec.cluster.partitions)
    fail(
      'the PPR push walks the whole graph; partition-owning samplers hold a part of it: use whole-graph samplers or sampling.ppr.topK 0',
      ['sampling', 'ppr', 'topK'],
    );
}

/** The densify section's cross-field rules (low below high, the relation's name), located. */
function checkDensify(spec: JobSpec, where: Where): void {
  if (!spec.densify.enabled) return;
  try {
    checkDensifyOptions({ ...DEFAULT_DENSIFY, ...spec.densify }, specFieldNames('densify'));
  } catch (err) {
    if (!(err instanceof ConfigError) || !err.field) throw err;
    const line = where.lineOf(err.field.split('.')) ?? where.lineOf(['densify']);
    const message = err.message.slice(err.message.indexOf(': ') + 2);
    throw new ConfigError(message, {
      file: where.file && line ? `${where.file}:${line}` : where.file,
      field: err.field,
    });
  }
}

/** The temporal model against the task, the width and the placement. */
function checkTemporal(spec: JobSpec, where: Where): void {
  const t = spec.model.temporal;
  // The pair term reads the member's activities, which only the temporal model ships.
  if (!t.enabled && t.pairRecency)
    failAt(where, ['model', 'temporal', 'pairRecency'])(
      'is a term of the temporal model, which is off; set model.temporal.enabled: true',
      ['model', 'temporal', 'pairRecency'],
    );
  checkTargetRecency(spec, where);
  for (const [field, what] of [
    ['pairWindow', 'is where the pair-recency term looks'],
    ['pairRank', 'is a part of the pair-recency term'],
  ] as const)
    if ((field === 'pairRank' ? t.pairRank : t.pairWindow > 0) && !t.pairRecency)
      failAt(where, ['model', 'temporal', field])(`${what}; set model.temporal.pairRecency: true`, [
        'model',
        'temporal',
        field,
      ]);
  if (!t.enabled) return;
  const fail = failAt(where, ['model', 'temporal', 'enabled']);
  if (spec.task !== 'link')
    fail("needs task: link (a member's activities are read before each pair's time)", [
      'model',
      'temporal',
      'enabled',
    ]);
  if (spec.model.hidden % t.heads !== 0)
    fail(`${t.heads} heads do not divide model.hidden ${spec.model.hidden}`, [
      'model',
      'temporal',
      'heads',
    ]);
  // Evaluation encodes sequences in chunks that fit the heap (sequence-memory.ts); one must fit.
  const shape = { ...t, dim: spec.model.hidden, inDim: 0 };
  if (sequenceBytes(shape) > EVAL_SEQUENCE_BYTES)
    fail(
      `${t.sequenceLength} activities with ${t.heads} heads, ${t.layers} layer(s) and model.hidden ${spec.model.hidden} need ${mib(sequenceBytes(shape))} MiB per sequence in the encoder, over the ${mib(EVAL_SEQUENCE_BYTES)} MiB an evaluation chunk may hold (a quarter of the wasm backend's 4 GiB heap); shorten model.temporal.sequenceLength or use fewer heads`,
      ['model', 'temporal', 'sequenceLength'],
    );
  if (t.longTerm.enabled && t.longTerm.windows.length !== t.longTerm.weights.length)
    fail(
      `${t.longTerm.weights.length} weights for ${t.longTerm.windows.length} windows; give one per window`,
      ['model', 'temporal', 'longTerm', 'weights'],
    );
  if (spec.cluster.partitions)
    fail(
      "reads each member's activities from the whole graph; partition-owning samplers do not ship them yet",
      ['cluster', 'partitions'],
    );
}

/** The target-recency term, on the temporal or the static link model: its task and negatives. */
function checkTargetRecency(spec: JobSpec, where: Where): void {
  if (!spec.model.temporal.targetRecency) return;
  const field = ['model', 'temporal', 'targetRecency'];
  const fail = failAt(where, field);
  if (spec.task !== 'link')
    fail("needs task: link (a link target's gap is read at its pair's time)", field);
  if (spec.link.negatives !== 'uniform' && spec.link.negatives !== 'degree')
    fail(
      `needs negatives the sampler draws (uniform or degree), whose times it knows; link.negatives is ${spec.link.negatives}`,
      field,
    );
  if (spec.cluster.partitions)
    fail(
      "reads each target's edges from the whole graph; partition-owning samplers do not ship its gaps",
      ['cluster', 'partitions'],
    );
}

/** History negatives mix into the negatives the sampler draws. */
function checkHistoryNegatives(spec: JobSpec, where: Where): void {
  const l = spec.link;
  if (l.historyNegatives === 0) return;
  const field = ['link', 'historyNegatives'];
  const fail = failAt(where, field);
  if (spec.task !== 'link') fail('needs task: link', field);
  if (l.negatives !== 'uniform' && l.negatives !== 'degree')
    fail(
      `mixes into negatives the sampler draws (uniform or degree); link.negatives is ${l.negatives}`,
      field,
    );
  if (spec.cluster.partitions)
    fail(
      "reads each source's earlier partners from the whole graph; partition-owning samplers do not draw them",
      ['cluster', 'partitions'],
    );
  if (Math.round(l.historyNegatives * l.numNegatives) === 0)
    fail(
      `${l.historyNegatives} × link.numNegatives ${l.numNegatives} rounds to no history negative`,
      field,
    );
}

function crossCheck(spec: JobSpec, where: Where): void {
  checkHistoryNegatives(spec, where);
  checkClusterAuth(spec, where);
  checkDensify(spec, where);
  checkEncoder(spec, where);
  checkInputProjection(spec, where);
  checkRelationFanouts(spec, where);
  checkPprRelation(spec, where);
  checkTemporal(spec, where);
  // PPR pushes residuals over the whole graph until they settle: across partitions that is a round
  // trip per push wave, so it stays with whole-graph samplers (link tasks always sample in time).
  // Degrees of every node need every node's edges: partition owners hold only their own rows.
  if (spec.cluster.partitions && spec.task === 'node' && spec.sampling.strategy === 'ppr') {
    const line = where.lineOf(['cluster', 'partitions']);
    throw new ConfigError(
      `partition-owning samplers sample 'uniform' and 'weighted' node batches and temporal link batches; sampling.strategy 'ppr' needs whole-graph samplers`,
      {
        file: where.file && line ? `${where.file}:${line}` : where.file,
        field: 'cluster.partitions',
      },
    );
  }
  const drawn = spec.link.negatives === 'degree' || spec.link.negatives === 'hard';
  if (spec.cluster.partitions && spec.task === 'link' && drawn) {
    const line = where.lineOf(['link', 'negatives']);
    throw new ConfigError(
      `is '${spec.link.negatives}', whose draws read every destination's edges over the whole graph; with cluster.partitions each sampler holds a part: use uniform or in-batch`,
      { file: where.file && line ? `${where.file}:${line}` : where.file, field: 'link.negatives' },
    );
  }
  checkEvalRelations(spec, where);
  if (spec.cluster.partitions && spec.eval.ranking === 'exact') {
    const line = where.lineOf(['eval', 'ranking']);
    throw new ConfigError(
      `is 'exact', which embeds every candidate on the trainer from the whole graph; with cluster.partitions the samplers hold it in parts: use eval.ranking sampled`,
      { file: where.file && line ? `${where.file}:${line}` : where.file, field: 'eval.ranking' },
    );
  }
  if (spec.sampling.budget.mode !== 'fixed' && spec.sampling.strategy === 'ppr') {
    const line = where.lineOf(['sampling', 'budget']);
    throw new ConfigError(
      `is '${spec.sampling.budget.mode}' but sampling.strategy ppr takes the top-k PPR nodes, not neighbour rows; use mode fixed or strategy uniform/weighted`,
      {
        file: where.file && line ? `${where.file}:${line}` : where.file,
        field: 'sampling.budget.mode',
      },
    );
  }
  if (spec.sampling.fanouts.length !== spec.model.layers) {
    const line = where.lineOf(['sampling', 'fanouts']) ?? where.lineOf(['model', 'layers']);
    throw new ConfigError(
      `has ${spec.sampling.fanouts.length} hops but model.layers is ${spec.model.layers}; give one fanout per layer`,
      {
        file: where.file && line ? `${where.file}:${line}` : where.file,
        field: 'sampling.fanouts',
      },
    );
  }
  if (spec.link.stepsPerGroup > spec.link.groupSize) {
    const line = where.lineOf(['link', 'stepsPerGroup']);
    throw new ConfigError(
      `is ${spec.link.stepsPerGroup} but link.groupSize is ${spec.link.groupSize}; take at most one step per item (1 <= S <= G)`,
      {
        file: where.file && line ? `${where.file}:${line}` : where.file,
        field: 'link.stepsPerGroup',
      },
    );
  }
  const start = spec.sampling.adaptive.start;
  if (start.length !== 1 && start.length !== spec.model.layers) {
    const line = where.lineOf(['sampling', 'adaptive', 'start']);
    throw new ConfigError(
      `has ${start.length} hops but model.layers is ${spec.model.layers}; give one value or one per layer`,
      {
        file: where.file && line ? `${where.file}:${line}` : where.file,
        field: 'sampling.adaptive.start',
      },
    );
  }
  if (spec.train.checkpointStore === 'jetstream' && spec.runtime.transport !== 'nats') {
    const line = where.lineOf(['train', 'checkpointStore']);
    throw new ConfigError(
      "is 'jetstream' but runtime.transport is 'inproc': the embedded transport reaches no NATS server; set runtime.transport: nats and run it with weft launch or weft actor, or use checkpointStore: path",
      {
        file: where.file && line ? `${where.file}:${line}` : where.file,
        field: 'train.checkpointStore',
      },
    );
  }
  if (
    spec.train.sync !== 'aggregate' &&
    spec.task === 'link' &&
    spec.link.groupSize > 1 &&
    spec.link.stepsPerGroup > 1
  ) {
    const line = where.lineOf(['link', 'stepsPerGroup']) ?? where.lineOf(['train', 'sync']);
    throw new ConfigError(
      `is ${spec.link.stepsPerGroup} but train.sync ${spec.train.sync} takes one step per batch; use sync aggregate or stepsPerGroup 1`,
      {
        file: where.file && line ? `${where.file}:${line}` : where.file,
        field: 'link.stepsPerGroup',
      },
    );
  }
  if (spec.train.sync !== 'aggregate' && usesIdTable(spec)) {
    const line = where.lineOf(['train', 'sync']) ?? where.lineOf(['model', 'idEmbedding']);
    throw new ConfigError(
      `is ${spec.train.sync} but the ID-embedding table (model.idEmbedding, model.featurelessInput id) syncs in synchronous rounds only; use aggregate`,
      { file: where.file && line ? `${where.file}:${line}` : where.file, field: 'train.sync' },
    );
  }
  if (spec.train.sync === 'local-sgd' && spec.train.lrScaling !== 'none') {
    const line = where.lineOf(['train', 'lrScaling']) ?? where.lineOf(['train', 'sync']);
    throw new ConfigError(
      `is ${spec.train.lrScaling} but train.sync is local-sgd, whose K local steps each use train.lr; set it to none`,
      {
        file: where.file && line ? `${where.file}:${line}` : where.file,
        field: 'train.lrScaling',
      },
    );
  }
  const idEmb = spec.model.idEmbedding;
  if (usesIdTable(spec) && !(idEmb.lr > 0)) {
    const line = where.lineOf(['model', 'idEmbedding', 'lr']);
    throw new ConfigError(`is ${idEmb.lr}; the ID-embedding table needs a learning rate > 0`, {
      file: where.file && line ? `${where.file}:${line}` : where.file,
      field: 'model.idEmbedding.lr',
    });
  }
  if (!idEmb.enabled && idEmb.dim > 0) {
    const line = where.lineOf(['model', 'idEmbedding', 'dim']);
    throw new ConfigError(
      `is ${idEmb.dim} but model.idEmbedding.enabled is false; enable the table or drop the dim`,
      {
        file: where.file && line ? `${where.file}:${line}` : where.file,
        field: 'model.idEmbedding.dim',
      },
    );
  }
  if (spec.link.valFraction + spec.link.testFraction >= 0.9) {
    throw new ConfigError('valFraction + testFraction must leave edges to train on', {
      file: where.file,
      field: 'link.testFraction',
    });
  }
}

/** Parses and validates a YAML job spec over the defaults; errors name the file, line and field. */
export function parseJobSpec(text: string, file?: string): JobSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line;
    throw new ConfigError(
      `not valid YAML: ${e.message.split('\n')[0]}`,
      { file: file && line ? `${file}:${line}` : file },
      { cause: e },
    );
  }
  const lineOf = (path: string[]): number | undefined => {
    let node: unknown = doc.contents;
    let pos: number | undefined;
    for (const key of path) {
      if (!isMap(node)) break;
      const pair = node.items.find(
        (it) => String((it.key as { value?: unknown })?.value ?? it.key) === key,
      );
      if (!pair) break;
      pos = (pair.key as YamlNode | null)?.range?.[0];
      node = pair.value;
    }
    if (isSeq(node) && pos === undefined) pos = node.range?.[0];
    return pos === undefined ? undefined : lineCounter.linePos(pos).line;
  };
  const where: Where = { file, lineOf };
  const spec = resolve(
    JOB_FIELDS,
    doc.toJS(),
    [],
    where,
    defaultJobSpec() as unknown as Record<string, unknown>,
  ) as JobSpec;
  crossCheck(spec, where);
  return spec;
}

export function loadJobSpec(file: string): JobSpec {
  const text = readConfigText(file, 'job spec');
  const spec = resolveClusterFiles(parseJobSpec(text, file), dirname(resolvePath(file)));
  if (spec.densify.features !== 'input')
    spec.densify.features = resolvePath(dirname(resolvePath(file)), spec.densify.features);
  return spec;
}

/**
 * Why `path` names no field: the nearest names in its section (the whole dotted path suggested),
 * then every field of that section, so a misspelt `--set train.epoch=1` shows `train.epochs`.
 */
function unknownFieldMessage(path: string[], fields: unknown): string {
  const names = Object.keys(fields as Record<string, unknown>);
  const parent = path.slice(0, -1);
  const section = parent.length ? `fields of ${parent.join('.')}` : 'top-level fields';
  const near = nearestNames(path[path.length - 1], names).map((n) => [...parent, n].join('.'));
  const hint = near.length ? ` did you mean ${near.join(' or ')}?` : '';
  return `unknown field;${hint} ${section}: ${names.join(', ')}`;
}

/**
 * Applies `--section.field value` style overrides (dotted paths) to a spec, validating each like
 * a YAML value; the field named in an error is the flag's path.
 */
export function applyOverrides(spec: JobSpec, overrides: Record<string, unknown>): JobSpec {
  const where: Where = { file: 'command line', lineOf: () => undefined };
  const out = structuredClone(spec) as unknown as Record<string, unknown>;
  for (const [dotted, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const path = dotted.split('.');
    let fields: unknown = JOB_FIELDS;
    let target = out;
    for (let i = 0; i < path.length; i++) {
      const decl = (fields as Record<string, unknown>)[path[i]];
      if (decl === undefined)
        throw new ConfigError(unknownFieldMessage(path.slice(0, i + 1), fields), {
          file: where.file,
          field: dotted,
        });
      if (i === path.length - 1) {
        if (!isDecl(decl))
          throw new ConfigError('is a section, not a field', { file: where.file, field: dotted });
        target[path[i]] = checkValue(decl, value, path, where);
      } else {
        fields = decl;
        target = target[path[i]] as Record<string, unknown>;
      }
    }
  }
  crossCheck(out as unknown as JobSpec, where);
  return out as unknown as JobSpec;
}

/** Markdown table of every field, for docs/job-spec.md. */
export function jobSpecDoc(): string {
  const rows: string[] = ['| field | type | default | meaning |', '|---|---|---|---|'];
  const walk = (fields: Record<string, unknown>, prefix: string): void => {
    for (const [k, f] of Object.entries(fields)) {
      if (!isDecl(f)) {
        walk(f as Record<string, unknown>, `${prefix}${k}.`);
        continue;
      }
      const type = f.kind === 'enum' ? f.values.join(' \\| ') : f.kind;
      rows.push(`| \`${prefix}${k}\` | ${type} | \`${JSON.stringify(f.default)}\` | ${f.doc} |`);
    }
  };
  walk(JOB_FIELDS, '');
  return rows.join('\n');
}

/** The whole docs/job-spec.md page (generated; see scripts/gen-docs.ts). */
export function jobSpecPage(): string {
  return [
    '# Job spec',
    '',
    'A job spec is a YAML file read by `weft train`, `weft deploy render` and the distributed launcher.',
    'Every field is optional; a missing one takes its default. Command-line flags override the file',
    '(`--epochs 5`, or any field with `--set section.field=value`). A wrong value fails with the file,',
    'line and field, e.g. `job.yaml:4 [train.lr]: expected a number, got "fast"`.',
    '',
    'This page is generated from `actors/job-spec.ts` by `npx tsx scripts/gen-docs.ts`.',
    '',
    jobSpecDoc(),
  ].join('\n');
}
