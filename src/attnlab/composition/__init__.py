"""Function composition: what one softmax layer cannot do, and what can.

Kozachinskiy 2024 (split-VC dimension); tasks from Peng, Narayanan, Papadimitriou and from
Sanford, Hsu, Telgarsky; Strassen attention from Kozachinskiy et al. 2025.

Modules:
    tasks                Comp_n, Ind_n, SUM_2, Match3, relation composition, palindromes;
                         reductions; the trained tasks' shapes and samplers
    transformer          the theorem's softmax transformer, with the key identity
    vc                   split-VC dimension by brute force, the VC and finite-precision bounds
    strassen             Strassen attention (scores, definition, fast form) and the model every
                         pair-attention layer is trained in (masks, depth, dropout)
    triangular           triangular attention on an m x m grid (Bergen et al.): definition, fast form
    third_order          third-order attention (Sanford et al.): definition, fast form
    constructions        explicit softmax (one and two layers) and Strassen layers solving Comp_n
    model                the models' shape apart from training (attention, layers, d, heads)
    training             the chapter's one training loop: config, sweep, table of runs, FLOPs
    one_vs_two_layers    page 24's runs: one layer against two, one layer's MLP-width frontier
    strassen_vs_softmax  page 25's runs: one Strassen layer against softmax layers, and timing
    paper_tasks          the Strassen paper's four tasks (Appendix C.1): samplers, balancing, masks
    strassen_paper       page 26's runs: four attentions on those tasks by the paper's protocol
    reported             the Strassen paper's reported numbers (Table 1, Table 6), never claimed
"""
