using BitFusion.Heap.Dump;
using BitFusion.Heap.Graph;

namespace BitFusion.Tools.Tests;

public class HeapGraphTests
{
    /// <summary>A walk of objects given as (address, size, references); roots and dependent handles optional.</summary>
    private static HeapWalk Walk((ulong Address, ulong Size, ulong[] Refs)[] objects, RootRecord[]? roots = null, DependentEdge[]? dependents = null)
    {
        NodeRecord[] nodes = [.. objects.Select(o => new NodeRecord(o.Address, o.Size, 0x1000 + o.Size, o.Refs.Length))];
        ulong[] edges = [.. objects.SelectMany(o => o.Refs)];
        return new HeapWalk(8, new GcRecord(1, 0) { End = 1 }, 0, nodes, edges, roots ?? [], dependents ?? [], new Dictionary<ulong, TypeRecord>());
    }

    private static RootRecord Strong(ulong address) => new(address, RootKind.Handle, RootFlags.None);

    private static long RetainedAt(HeapWalk walk, ulong address)
    {
        HeapGraph g = HeapGraphBuilder.Build(walk, out _, out _);
        RetainedSizes r = RetainedSizes.Compute(g, g.Sizes);
        int node = Array.IndexOf(g.Addresses, address);
        return r.Retained[node];
    }

    [Fact]
    public void An_object_retains_its_own_arrays_but_not_what_others_also_hold()
    {
        // 0x100 (backup, 40) → 0x200 (array, 100 → 104 aligned) and → 0x300 (shared code, 24); 0x400 (service, 32) → 0x300.
        HeapWalk walk = Walk(
            [(0x100, 40, [0x200, 0x300]), (0x200, 100, []), (0x300, 24, []), (0x400, 32, [0x300])],
            roots: [Strong(0x100), Strong(0x400)]);
        Assert.Equal(40 + 104, RetainedAt(walk, 0x100));
        Assert.Equal(32, RetainedAt(walk, 0x400));
    }

    [Fact]
    public void Objects_walked_out_of_address_order_are_still_found()
    {
        // Regions are walked in no particular address order.
        HeapWalk walk = Walk([(0x900, 24, [0x100]), (0x100, 40, [0x500]), (0x500, 48, [])], roots: [Strong(0x900)]);
        Assert.Equal(112, RetainedAt(walk, 0x900));
        Assert.Equal(88, RetainedAt(walk, 0x100));
    }

    [Fact]
    public void Declared_shared_objects_count_toward_no_one()
    {
        // 0x100 (backup) → 0x200 (code, only referrer the backup) → 0x300 (the code's matrix).
        HeapWalk walk = Walk([(0x100, 40, [0x200]), (0x200, 24, [0x300]), (0x300, 32, [])], roots: [Strong(0x100)]);
        HeapGraph g = HeapGraphBuilder.Build(walk, out _, out _);
        Assert.Equal(96, RetainedSizes.Compute(g, g.Sizes).Retained[1]);
        HeapGraph shared = g.WithShared([2]);
        Assert.Equal(40, RetainedSizes.Compute(shared, shared.Sizes).Retained[1]);
        Assert.Equal((1, 1), (shared.ReportedRootCount, shared.SharedCount));
    }

    [Fact]
    public void Sizes_are_rounded_up_to_the_pointer_size()
    {
        HeapGraph g = HeapGraphBuilder.Build(Walk([(0x100, 27, []), (0x200, 24, []), (0x300, 1, [])]), out _, out _);
        Assert.Equal([0L, 32, 24, 8], g.Sizes);
    }

    [Fact]
    public void Weak_roots_do_not_keep_objects_alive()
    {
        // Strongly 0x100 → 0x200; a weak handle also names 0x200. Counted as a root, it would escape 0x100's subtree.
        HeapWalk walk = Walk([(0x100, 24, [0x200]), (0x200, 48, [])],
            roots: [Strong(0x100), new RootRecord(0x200, RootKind.Handle, RootFlags.WeakRef)]);
        Assert.Equal(72, RetainedAt(walk, 0x100));
    }

    [Fact]
    public void Unrooted_structures_are_attached_whole_so_their_heads_still_retain_them()
    {
        // No roots reported at all (native AOT): a chain, and a cycle nothing points into.
        HeapWalk walk = Walk([(0x100, 24, [0x200]), (0x200, 24, [0x300]), (0x300, 24, []), (0x400, 32, [0x500]), (0x500, 32, [0x400])]);
        HeapGraph g = HeapGraphBuilder.Build(walk, out _, out _);
        Assert.Equal(2, g.OrphanCount);
        Assert.Equal(72, RetainedAt(walk, 0x100));
        Assert.Equal(64, RetainedAt(walk, 0x400));
    }

    [Fact]
    public void A_dependent_handle_value_belongs_to_its_key()
    {
        HeapWalk walk = Walk([(0x100, 24, []), (0x200, 40, [])], roots: [Strong(0x100)], dependents: [new DependentEdge(0x100, 0x200)]);
        Assert.Equal(64, RetainedAt(walk, 0x100));
    }

    [Fact]
    public void References_to_objects_outside_the_walk_are_counted_and_dropped()
    {
        HeapGraphBuilder.Build(Walk([(0x100, 24, [0x999, 0x200]), (0x200, 24, [])], roots: [Strong(0x100)]), out _, out int unresolved);
        Assert.Equal(1, unresolved);
    }

    [Fact]
    public void The_super_root_retains_the_whole_heap()
    {
        HeapWalk walk = Walk([(0x100, 24, [0x200]), (0x200, 40, []), (0x300, 56, [])], roots: [Strong(0x100)]);
        HeapGraph g = HeapGraphBuilder.Build(walk, out _, out _);
        Assert.Equal(24 + 40 + 56, RetainedSizes.Compute(g, g.Sizes).Retained[0]);
    }
}
