"""The social index on real data: Hamburg's 99 Stadtteile (Stadtteilprofile 2014, Statistik Nord).

Index indicators (December 2013): under-15s in Mindestsicherung (SGB II), unemployment,
single-parent households, under-18s with a migration background; equal weights, all signs +1
(the indicators Berlin's MSS and Hamburg's RISE use, as far as the profile has them). The check
against the published profile uses columns the index leaves out: mean income per taxpayer (2010)
and the share of pupils in Gymnasien (2013/14); a status index that measures need must fall with
both. Also: the z-score index against the principal-component variant, the class sizes, and how
often each Stadtteil changes class when every weight varies within a factor of 2.

Usage:
    python validation/social_hamburg.py [--alternatives 1000] [--seed 1]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.stats import spearmanr

from forecast.social.hamburg import read_stadtteilprofile
from forecast.social.index import STATUS_CLASSES, IndexSpec, social_index

INDICATORS = ("sgb2_rate_u15", "unemployment_rate", "single_parent_share", "migration_share_u18")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alternatives", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    social = read_stadtteilprofile()
    districts = social["district"].unique().tolist()
    signs = dict.fromkeys(INDICATORS, 1)
    weights = dict.fromkeys(INDICATORS, 1.0)
    rng = np.random.default_rng(args.seed)
    z = social_index(
        social, districts, IndexSpec(signs, weights), alternatives=args.alternatives, rng=rng
    )
    pca = social_index(social, districts, IndexSpec(signs, weights, method="pca"))
    wide = social.pivot_table(index="district", columns="indicator", values="value").reindex(
        districts
    )
    print(
        f"Hamburg Stadtteilprofile 2014: {len(districts)} Stadtteile, indicators {', '.join(INDICATORS)}"
    )
    print(
        "PCA weights: "
        + ", ".join(f"{n} {w:.3f}" for n, w in zip(pca.indicators, pca.weights, strict=True))
    )
    print(f"Spearman z-score index vs PCA index: {spearmanr(z.status, pca.status)[0]:.4f}")
    print(f"Stadtteile in another class under PCA: {(z.status_class != pca.status_class).sum()}")
    for label, column in (
        ("mean income per taxpayer", "income_per_taxpayer"),
        ("Gymnasium share", "gymnasium_share"),
    ):
        rho = spearmanr(z.status, wide[column])[0]
        print(f"Spearman status index vs {label} (not in the index): {rho:+.3f}")
    counts = np.bincount(z.status_class, minlength=4)
    print(
        "status classes: "
        + ", ".join(f"{c} {n}" for c, n in zip(STATUS_CLASSES, counts, strict=True))
    )
    for c, name in enumerate(STATUS_CLASSES):
        inc = wide["income_per_taxpayer"][z.status_class == c]
        print(f"  {name:13s} median income {inc.median():8,.0f} EUR")
    change = z.class_change
    print(
        f"class sensitivity ({args.alternatives} weightings within x/÷2): mean share changed "
        f"{change.mean():.3f}; Stadtteile changing in >10 % of weightings: {(change > 0.1).sum()}, "
        f"in >25 %: {(change > 0.25).sum()}"
    )
    table = z.table().sort_values("status")
    print(
        "neediest 8: "
        + ", ".join(f"{r.district} ({r.status:.2f})" for r in table.tail(8)[::-1].itertuples())
    )
    print(
        "least need 5: "
        + ", ".join(f"{r.district} ({r.status:.2f})" for r in table.head(5).itertuples())
    )


if __name__ == "__main__":
    main()
