/**
 * Every diagnostic code in one place, so codes stay stable and unique: one code per problem, a new problem gets a
 * new code at the end of its section, and a code is never reused for another meaning.
 * 00xx: syntax and files; 01xx: names and types; 02xx: data and heads; 03xx: model; 04xx: training;
 * 05xx: what this version runs; 06xx: costs (info); 09xx: warnings.
 *
 * Narrowed codes (each once covered several problems; it keeps the first below, the others moved to new codes):
 * - MTL0105 a missing argument or field; a transform with no columns is MTL0112.
 * - MTL0203 a head that cannot hold its target's type; an unsuitable loss is MTL0207, an unsuitable metric MTL0208.
 * - MTL0204 a file or glob of a dataset matches no file; a dataset listing no files is MTL0209, features with no
 *   transforms MTL0210.
 * - MTL0304 a task in two shares; a task listed twice in one share is MTL0307, a task in a share with a private
 *   backbone MTL0308.
 * - MTL0305 a depth outside the backbone's layers; a depth on a task without a backbone is MTL0309.
 * No code has been retired.
 */
export const Codes = {
  LexError: 'MTL0001',
  ParseError: 'MTL0002',
  ImportNotFound: 'MTL0003',
  ImportCycle: 'MTL0004',
  TooManyErrors: 'MTL0005',
  NestingTooDeep: 'MTL0006',
  NumberTooLarge: 'MTL0007',
  NotProgramText: 'MTL0008',
  OutsideRoot: 'MTL0009',
  NotAProgram: 'MTL0010',
  KeywordAsName: 'MTL0011',
  MalformedNumber: 'MTL0012',
  NonAsciiName: 'MTL0013',

  UnknownName: 'MTL0101',
  DuplicateName: 'MTL0102',
  UnknownArgument: 'MTL0103',
  WrongType: 'MTL0104',
  MissingArgument: 'MTL0105',
  DuplicateArgument: 'MTL0106',
  PositionalAfterNamed: 'MTL0107',
  TooManyArguments: 'MTL0108',
  WrongDeclarationForm: 'MTL0109',
  MissingName: 'MTL0110',
  ValueOutOfRange: 'MTL0111',
  TransformWithoutColumns: 'MTL0112',

  UnknownColumn: 'MTL0201',
  TransformColumnType: 'MTL0202',
  HeadTargetMismatch: 'MTL0203',
  NoData: 'MTL0204',
  SplitRatios: 'MTL0205',
  TargetExpression: 'MTL0206',
  LossUnsuitedToHead: 'MTL0207',
  MetricUnsuitedToHead: 'MTL0208',
  DatasetWithoutFiles: 'MTL0209',
  FeaturesWithoutTransforms: 'MTL0210',
  TargetNotRead: 'MTL0211',
  ComparisonTypes: 'MTL0212',
  ColumnNotInFile: 'MTL0213',
  ColumnTypeInFile: 'MTL0214',
  SplitFileNotInDataset: 'MTL0215',
  SplitFilesOverlap: 'MTL0216',

  HeadBackboneMismatch: 'MTL0301',
  BackboneInputMismatch: 'MTL0302',
  BackboneCycle: 'MTL0303',
  TaskInTwoShares: 'MTL0304',
  DepthOutOfRange: 'MTL0305',
  SharedAcrossDatasets: 'MTL0306',
  TaskListedTwiceInShare: 'MTL0307',
  PrivateBackboneInShare: 'MTL0308',
  DepthWithoutBackbone: 'MTL0309',
  CrossStitchInputs: 'MTL0310',
  ShareNeedsTwoTasks: 'MTL0311',
  ShareBackboneLayers: 'MTL0312',
  ExpertAssignment: 'MTL0313',
  MoeExpert: 'MTL0314',
  // Task dependencies start at 0320, clear of the codes other work adds after 0311 at the same time.
  TaskDependencyCycle: 'MTL0320',
  PredictionNotUsable: 'MTL0321',
  DependencyOtherRows: 'MTL0322',
  ProductTaskWithLayers: 'MTL0323',

  SamplingProbabilities: 'MTL0401',
  GradientMethodNeedsSharing: 'MTL0402',
  SelectionMetric: 'MTL0403',
  StageTasks: 'MTL0404',
  NoTasks: 'MTL0405',
  TrainingLength: 'MTL0406',
  NoRepresentationForm: 'MTL0407',
  NoSharedRepresentation: 'MTL0408',
  WeightingNeedsParameterGradients: 'MTL0409',
  SelectionMetricHead: 'MTL0410',
  UntrainedTaskReference: 'MTL0411',

  NotRunYet: 'MTL0501',

  BackwardPassesPerStep: 'MTL0601',

  UnusedDefinition: 'MTL0901',
  TaskNeverTrains: 'MTL0902',
  SamplingWithoutEffect: 'MTL0903',
  ShareOfOneTask: 'MTL0904',
} as const;

export type Code = (typeof Codes)[keyof typeof Codes];
