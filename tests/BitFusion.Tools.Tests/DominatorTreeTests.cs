using BitFusion.Heap.Graph;

namespace BitFusion.Tools.Tests;

public class DominatorTreeTests
{
    [Fact]
    public void Diamond_joins_at_the_root()
    {
        // 0 → 1 → 3, 0 → 2 → 3, 3 → 4
        var g = new ListGraph(5, (0, 1), (0, 2), (1, 3), (2, 3), (3, 4));
        Assert.Equal([-1, 0, 0, 0, 3], DominatorTree.Build(g).ImmediateDominators.ToArray());
    }

    [Fact]
    public void Chain_with_back_edges_keeps_each_link_dominating_the_next()
    {
        var g = new ListGraph(5, (0, 1), (1, 2), (2, 3), (3, 4), (4, 1), (3, 2));
        Assert.Equal([-1, 0, 1, 2, 3], DominatorTree.Build(g).ImmediateDominators.ToArray());
    }

    [Fact]
    public void Lengauer_Tarjan_paper_example()
    {
        // The flow graph of Lengauer & Tarjan (1979), fig. 1, with R..L numbered 0..12.
        const int R = 0, A = 1, B = 2, C = 3, D = 4, E = 5, F = 6, G = 7, H = 8, I = 9, J = 10, K = 11, L = 12;
        var g = new ListGraph(13,
            (R, A), (R, B), (R, C), (A, D), (B, A), (B, D), (B, E), (C, F), (C, G), (D, L), (E, H), (F, I), (G, I), (G, J),
            (H, E), (H, K), (I, K), (J, I), (K, I), (K, R), (L, H));
        int[] expected = [-1, R, R, R, R, R, C, C, R, R, G, R, D];
        Assert.Equal(expected, DominatorTree.Build(g).ImmediateDominators.ToArray());
    }

    [Fact]
    public void Unreachable_nodes_get_no_dominator()
    {
        var g = new ListGraph(4, (0, 1), (2, 3), (3, 1));
        Assert.Equal([-1, 0, -1, -1], DominatorTree.Build(g).ImmediateDominators.ToArray());
        Assert.Equal([0, 1], DominatorTree.Build(g).Preorder.ToArray());
    }

    [Fact]
    public void A_million_node_chain_needs_no_deep_recursion()
    {
        const int n = 1_000_000;
        var edges = new (int, int)[n - 1];
        for (int i = 0; i < n - 1; i++) edges[i] = (i, i + 1);
        int[] idom = DominatorTree.Build(new ListGraph(n, edges)).ImmediateDominators.ToArray();
        Assert.Equal(n - 2, idom[n - 1]);
        Assert.Equal(0, idom[1]);
    }

    [Fact]
    public void Matches_the_dataflow_definition_on_random_graphs()
    {
        for (int round = 0; round < 300; round++)
        {
            int seed = 1000 + round;
            var random = new Random(seed);
            int n = random.Next(1, 40);
            int m = random.Next(0, n * 3);
            var edges = new (int, int)[m];
            for (int e = 0; e < m; e++) edges[e] = (random.Next(n), random.Next(n));
            var g = new ListGraph(n, edges);
            int[] expected = NaiveDominators.Immediate(g);
            int[] actual = DominatorTree.Build(g).ImmediateDominators.ToArray();
            Assert.True(expected.SequenceEqual(actual),
                $"seed {seed}: expected [{string.Join(",", expected)}], got [{string.Join(",", actual)}]");
        }
    }
}
