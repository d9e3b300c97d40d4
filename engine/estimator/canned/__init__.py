"""The canned estimators: DNN and linear classifiers and regressors."""
