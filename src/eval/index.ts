// Evaluation of generative models: the MNIST judge, classifier-FID and class coverage.
export { Judge, toUnitPixels, JUDGE_FILE, JUDGE_MEAN, JUDGE_STD, FEATURES, CLASSES, type JudgeOutput, type JudgeScore } from './judge.ts';
export { featureStats, frechetDistance, type FeatureStats } from './fid.ts';
export { classCoverage, coverageOf, type Coverage } from './coverage.ts';
