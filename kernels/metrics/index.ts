// Evaluation metrics: accuracy and macro-F1 for node classification, ROC-AUC, MRR and hits@k
// for link prediction; all plain typed-array code with brute-force-checked tests.

export * from './accuracy.js';
export * from './macro-f1.js';
export * from './roc-auc.js';
export * from './ranking.js';
