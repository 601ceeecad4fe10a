/**
 * Every diagnostic code in one place, so codes stay stable and unique.
 * 00xx: syntax and files; 01xx: names and types; 02xx: data and heads; 03xx: model; 04xx: training;
 * 05xx: what this version runs; 09xx: warnings.
 */
export const Codes = {
  LexError: 'MTL0001',
  ParseError: 'MTL0002',
  ImportNotFound: 'MTL0003',
  ImportCycle: 'MTL0004',
  TooManyErrors: 'MTL0005',

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

  UnknownColumn: 'MTL0201',
  TransformColumnType: 'MTL0202',
  HeadTargetMismatch: 'MTL0203',
  NoData: 'MTL0204',
  SplitRatios: 'MTL0205',
  TargetExpression: 'MTL0206',

  HeadBackboneMismatch: 'MTL0301',
  BackboneInputMismatch: 'MTL0302',
  BackboneCycle: 'MTL0303',
  TaskInTwoShares: 'MTL0304',
  DepthOutOfRange: 'MTL0305',
  SharedAcrossDatasets: 'MTL0306',

  SamplingProbabilities: 'MTL0401',
  GradientMethodNeedsSharing: 'MTL0402',
  SelectionMetric: 'MTL0403',
  StageTasks: 'MTL0404',
  NoTasks: 'MTL0405',
  TrainingLength: 'MTL0406',

  NotRunYet: 'MTL0501',

  UnusedDefinition: 'MTL0901',
  TaskNeverTrains: 'MTL0902',
  SamplingWithoutEffect: 'MTL0903',
} as const;

export type Code = (typeof Codes)[keyof typeof Codes];
