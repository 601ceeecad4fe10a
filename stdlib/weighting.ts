/** Loss weighting and gradient aggregation: how task losses, then task gradients, combine into one update. */
import type { AggregationKind, AggregationPlan, RepresentationKind, WeightingKind, WeightingPlan } from '../job/job.js';
import { GRADIENTS_OF, UNCERTAINTY_FORMS } from '../job/names.js';
import type { Args } from './args.js';
import { type Entry, p, notNegative, positive, stepCount } from './signature.js';
import { int, number, oneOf } from './types.js';

/**
 * `perTaskGradients`: it works on per-task gradients of shared parameters, so it needs tasks that share some.
 * `scalesByWeight`: it multiplies each task's loss by the task's `weight`, so a task of weight 0 never trains and
 * the compiler leaves it out of the job (rule tasks-that-never-train, pass eliminate-dead-tasks).
 */
export type WeightingEntry<K extends WeightingKind = WeightingKind> = Entry<{
  perTaskGradients: boolean; scalesByWeight: boolean; plan(a: Args): Extract<WeightingPlan, { kind: K }>;
}>;
/**
 * `representation`: whether the method has a form on the shared representation (`on: representation`, the gradients of
 * the shared trunk's output instead of the shared parameters), as its paper or reference code gives it: `form` names
 * it; `none` says why not (rule representation-form reports it). It follows the job: a kind whose plan carries `on`
 * has the form, any other has not, so a new entry does not compile until it says which.
 */
export type AggregationEntry<K extends AggregationKind = AggregationKind> = Entry<{
  perTaskGradients: boolean;
  representation: K extends RepresentationKind ? { form: string } : { none: string };
  plan(a: Args): Extract<AggregationPlan, { kind: K }>;
}>;

/** Every aggregation takes `on`, so that one without a representation form is refused by a rule that says why. */
const on = p('on', oneOf(...GRADIENTS_OF), 'what the task gradients are taken of: the shared `parameters`, or the shared `representation` (the output of the one trunk every task reads) where the method has that form', 'parameters');
const gradientsOf = (a: Args) => a.choice('on', GRADIENTS_OF);

export const weightings = {
  equal: { doc: 'every task loss weighs 1', params: [], runs: true, perTaskGradients: false, scalesByWeight: false, plan: () => ({ kind: 'equal' }) },
  static: { doc: 'each task loss weighs its task\'s `weight`', params: [], runs: true, perTaskGradients: false, scalesByWeight: true, plan: () => ({ kind: 'static' }) },
  uncertainty: {
    doc: 'learned homoscedastic-uncertainty weights (Kendall et al. 2018), s_t = log σ_t² per task: `form` regression e^{-s_t} L_t + s_t (the paper\'s L/(2σ²) + log σ times 2, for every head), classification e^{-s_t} L_t + s_t/2 (L/σ² + log σ, for every head), by_head the paper\'s combined loss: L/σ² + log σ for a head with a cross-entropy loss (binary, multiclass, multilabel), L/(2σ²) + log σ = ½e^{-s_t} L_t + s_t/2 for a regression head',
    runs: true, perTaskGradients: false, scalesByWeight: false,
    params: [p('form', oneOf(...UNCERTAINTY_FORMS), 'which of the paper\'s terms each task takes', 'regression')],
    plan: (a) => ({ kind: 'uncertainty', form: a.choice('form', UNCERTAINTY_FORMS) }),
  },
  dwa: {
    doc: 'dynamic weight average (Liu et al. 2019)', runs: true, perTaskGradients: false, scalesByWeight: false,
    params: [p('t', number, 'temperature', '2', positive)],
    plan: (a) => ({ kind: 'dwa', t: a.number('t') }),
  },
  gradnorm: {
    doc: 'GradNorm (Chen et al. 2018): learned weights w_t of Σ w_t L_t, moved by gradient descent (rate `lr`) on Σ |G_t − Ḡ r_t^α|, G_t the norm of w_t L_t\'s gradient of the last shared layer\'s weights, r_t the loss ratio L_t/L_t(0) over its mean; renormalised to sum to the task count after each step',
    runs: true, perTaskGradients: true, scalesByWeight: false,
    params: [
      p('alpha', number, 'restoring force', '1.5', notNegative),
      p('lr', number, 'learning rate of the task weights (plain gradient descent)', '0.025', positive),
    ],
    plan: (a) => ({ kind: 'gradnorm', alpha: a.number('alpha'), lr: a.number('lr') }),
  },
  rlw: {
    doc: 'RLW, random loss weighting (Lin et al. 2022, Reasonable Effectiveness of Random Weighting): each step, the task weights are softmax of a standard normal draw per task (from the training `seed`), times the task\'s `weight`',
    params: [], runs: true, perTaskGradients: false, scalesByWeight: true, plan: () => ({ kind: 'rlw' }),
  },
  famo: {
    doc: 'FAMO, fast adaptive multitask optimization (Liu et al. 2023): minimises c·Σ z_t log L_t, z = softmax(ξ), c = (Σ z_t/L_t)⁻¹; ξ follows the observed decrease of the log losses (Adam with learning rate `lr` and weight decay `gamma`, as the authors\' code), from the next step\'s losses of the same tasks',
    runs: true, perTaskGradients: false, scalesByWeight: false,
    params: [
      p('lr', number, 'learning rate of the task logits ξ', '0.025', positive),
      p('gamma', number, 'weight decay of the task logits ξ', '0.001', notNegative),
    ],
    plan: (a) => ({ kind: 'famo', lr: a.number('lr'), gamma: a.number('gamma') }),
  },
  db_mtl: {
    doc: 'DB-MTL, dual-balancing multi-task learning (Lin et al. 2023): each task loss log-transformed (loss-scale balancing), and each task\'s gradient of the shared parameters, averaged over steps (β_k = `beta`/k^`beta_sigma`), scaled to the largest norm (gradient-magnitude balancing) before the aggregation adds them; as LibMTL\'s DB_MTL',
    runs: true, perTaskGradients: true, scalesByWeight: false,
    params: [
      p('beta', number, 'how much of a task\'s averaged gradient carries over to the next step', '0.9', notNegative),
      p('beta_sigma', number, 'the carry-over decays as step^-beta_sigma; 0 keeps it', '0', notNegative),
    ],
    plan: (a) => ({ kind: 'db_mtl', beta: a.number('beta'), betaSigma: a.number('beta_sigma') }),
  },
} satisfies { [K in WeightingKind]: WeightingEntry<K> };

export const aggregations = {
  sum: {
    doc: 'sum the weighted task losses, one backward pass', params: [on], runs: true, perTaskGradients: false,
    representation: { none: 'it makes one backward pass of the summed loss already' }, plan: () => ({ kind: 'sum' }),
  },
  pcgrad: {
    doc: 'PCGrad (Yu et al. 2020): project each task gradient off the others it conflicts with, in a seeded random order, and sum',
    params: [on], runs: true, perTaskGradients: true,
    representation: { none: 'its projections are defined on the gradients of the shared parameters (Yu et al. 2020; LibMTL refuses it on representation gradients)' },
    plan: () => ({ kind: 'pcgrad' }),
  },
  cagrad: {
    doc: 'CAGrad, conflict-averse gradient descent (Liu et al. 2021): the average gradient moved, within radius c·‖g0‖, towards the worst task; divided by 1 + c² as in the authors\' code',
    runs: true, perTaskGradients: true,
    params: [p('c', number, 'conflict radius, relative to the average gradient\'s norm; 0 is the average gradient', '0.5', notNegative), on],
    representation: { none: 'its conflict radius bounds the update of the shared parameters (Liu et al. 2021; LibMTL refuses it on representation gradients)' },
    plan: (a) => ({ kind: 'cagrad', c: a.number('c') }),
  },
  mgda: {
    doc: 'MGDA (Sener & Koltun 2018): the min-norm point of the convex hull of the task gradients (Frank-Wolfe); `on: representation` is MGDA-UB, the paper\'s upper bound on the gradients of the shared representation',
    params: [on], runs: true, perTaskGradients: true,
    representation: { form: 'MGDA-UB (Sener & Koltun 2018, section 3.3)' },
    plan: (a) => ({ kind: 'mgda', on: gradientsOf(a) }),
  },
  imtl_g: {
    doc: 'IMTL-G (Liu et al. 2021, impartial MTL): weights summing to 1 that give the update equal projections on every task gradient\'s direction; `on: representation` takes them on the shared features, as the paper does',
    params: [on], runs: true, perTaskGradients: true,
    representation: { form: 'IMTL-G on the shared features (Liu et al. 2021)' },
    plan: (a) => ({ kind: 'imtl_g', on: gradientsOf(a) }),
  },
  upgrad: {
    doc: 'UPGrad (Quinton & Rey 2024, torchjd): the average of each task gradient projected onto the dual cone of all of them, so no task\'s loss goes up to first order',
    params: [on], runs: true, perTaskGradients: true,
    representation: { none: 'its guarantee (no task\'s loss rises to first order) is on the Jacobian of the shared parameters (Quinton & Rey 2024; LibMTL refuses it on representation gradients)' },
    plan: () => ({ kind: 'upgrad' }),
  },
  aligned_mtl: {
    doc: 'Aligned-MTL (Senushkin et al. 2023): the task gradients aligned to condition number 1 through the Gram matrix\'s eigendecomposition, scaled by the smallest singular value, summed; `on: representation` is the paper\'s Aligned-MTL-UB',
    params: [on], runs: true, perTaskGradients: true,
    representation: { form: 'Aligned-MTL-UB (Senushkin et al. 2023)' },
    plan: (a) => ({ kind: 'aligned_mtl', on: gradientsOf(a) }),
  },
  nash_mtl: {
    doc: 'Nash-MTL (Navon et al. 2022, Multi-Task Learning as a Bargaining Game): the Nash bargaining solution d = Σ α_t g_t with α_i (Gα)_i = 1 (d·g_i = 1/α_i), solved exactly; ‖d‖² is the task count whatever the gradients\' scale; 0 where no direction improves every task',
    runs: true, perTaskGradients: true,
    params: [p('update_weights_every', int, 'solve for the weights every this many steps of the same tasks, reusing them between (the per-task gradients are still computed every step)', '1', stepCount), on],
    representation: { none: 'its bargaining solution is posed on the gradients of the shared parameters (Navon et al. 2022); LibMTL refuses it on representation gradients' },
    plan: (a) => ({ kind: 'nash_mtl', updateWeightsEvery: a.number('update_weights_every') }),
  },
} satisfies { [K in AggregationKind]: AggregationEntry<K> };
