"""Child process for the kill -9 tests: open the central store, say so, merge the
pickled bundle, say so. Usage: child_merge.py TARGET PASSPHRASE BUNDLE.pickle"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from qi_capture.central.store import CentralStore


def main() -> None:
    target, passphrase, bundle_file = sys.argv[1:4]
    bundle = pickle.loads(Path(bundle_file).read_bytes())
    with CentralStore.open(target, passphrase) as central:
        print("merging", flush=True)
        report = central.merge(bundle)
        print(f"done {report.outcome} {report.new_revisions}", flush=True)


if __name__ == "__main__":
    main()
