"""Function composition: what one softmax layer cannot do, and what can.

Kozachinskiy 2024 (split-VC dimension); tasks from Peng, Narayanan, Papadimitriou and from
Sanford, Hsu, Telgarsky; Strassen attention from Kozachinskiy et al. 2025.

Modules:
    tasks          Comp_n, Ind_n, SUM_2, Match3, palindromes and their reductions
    transformer    the theorem's one-layer softmax transformer, with the key identity
    vc             split-VC dimension by brute force, the VC and finite-precision bounds
    constructions  explicit one- and two-layer transformers solving Comp_n
    training       training one- and two-layer models on Comp_n
    strassen       Strassen attention: one layer that composes
"""
