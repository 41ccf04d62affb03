#!/usr/bin/python3
"""The peer figure quoted in README.md beside `make demo`: scikit-learn's
MLPClassifier with one hidden layer of 32 logistic units, its defaults otherwise
(Adam, lr 1e-3, batches of 200, 200 epochs, L2 1e-4), on a standardized stratified
80/20 split of the same digits, over five seeds. Needs Debian's python3-sklearn;
run it as `OMP_NUM_THREADS=2 /usr/bin/python3 bench/sklearn_digits.py`."""
import statistics
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore", category=ConvergenceWarning)
X, y = load_digits(return_X_y=True)
accuracies, seconds = [], []
for seed in range(5):
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
    scaler = StandardScaler().fit(X_train)
    net = MLPClassifier(hidden_layer_sizes=(32,), activation="logistic", random_state=seed)
    start = time.perf_counter()
    net.fit(scaler.transform(X_train), y_train)
    seconds.append(time.perf_counter() - start)
    accuracies.append(net.score(scaler.transform(X_test), y_test))
    print(f"seed {seed}: test accuracy {accuracies[-1]:.4f}, {seconds[-1]:.3f} s, {net.n_iter_} epochs")
print(f"median: test accuracy {statistics.median(accuracies):.4f}, {statistics.median(seconds):.3f} s of training")
