using BitFusion.Heap;
using BitFusion.Heap.Dump;

namespace BitFusion.Tools.Tests;

public class RawHeapDumpTests
{
    /// <summary>A dump whose GC #1 spans times 100..200 and carries the given node and edge events.</summary>
    private static RawHeapDump Dump(params (int EventId, uint Index, long Time, int Records, int EdgesPerNode)[] events)
    {
        var d = new RawHeapDump();
        d.Gcs.Add(new GcRecord(1, 100) { End = 200 });
        foreach (var e in events)
        {
            int first = e.EventId == ClrEventIds.GCBulkNode ? d.Nodes.Count : d.Edges.Count;
            for (int i = 0; i < e.Records; i++)
            {
                if (e.EventId == ClrEventIds.GCBulkNode) d.Nodes.Add(new NodeRecord((ulong)(0x1000 + 0x100 * d.Nodes.Count), 24, 1, e.EdgesPerNode));
                else d.Edges.Add(0x1000);
            }
            d.Chunks.Add(new BulkChunk(e.EventId, e.Index, e.Time, first, e.Records));
        }
        return d;
    }

    [Fact]
    public void Orders_bulk_events_by_index_and_keeps_only_the_walks_gc()
    {
        RawHeapDump d = Dump(
            (ClrEventIds.GCBulkNode, 1, 150, 2, 1),
            (ClrEventIds.GCBulkNode, 0, 120, 3, 0),
            (ClrEventIds.GCBulkEdge, 0, 160, 2, 0),
            (ClrEventIds.GCBulkNode, 0, 250, 5, 0));
        HeapWalk walk = d.Select();
        Assert.Equal(5, walk.Nodes.Length);
        Assert.Equal([0x1200UL, 0x1300, 0x1400, 0x1000, 0x1100], walk.Nodes.Select(n => n.Address));
        Assert.Equal(2, walk.Edges.Length);
    }

    [Fact]
    public void A_missing_bulk_event_makes_the_dump_an_error()
    {
        RawHeapDump d = Dump((ClrEventIds.GCBulkNode, 0, 120, 3, 0), (ClrEventIds.GCBulkNode, 2, 130, 3, 0));
        var e = Assert.Throws<HeapProfilerException>(d.Select);
        Assert.Equal(HeapProfilerError.LossyDump, e.Error);
        Assert.Contains("index 0 to 2", e.Message);
    }

    [Fact]
    public void Edges_that_do_not_add_up_make_the_dump_an_error()
    {
        RawHeapDump d = Dump((ClrEventIds.GCBulkNode, 0, 120, 3, 2), (ClrEventIds.GCBulkEdge, 0, 130, 5, 0));
        var e = Assert.Throws<HeapProfilerException>(d.Select);
        Assert.Equal(HeapProfilerError.LossyDump, e.Error);
        Assert.Contains("declare 6 references but 5 arrived", e.Message);
    }

    [Fact]
    public void A_walk_whose_gc_never_ended_is_no_walk()
    {
        var d = new RawHeapDump();
        d.Gcs.Add(new GcRecord(1, 100));
        d.Nodes.Add(new NodeRecord(0x1000, 24, 1, 0));
        d.Chunks.Add(new BulkChunk(ClrEventIds.GCBulkNode, 0, 150, 0, 1));
        Assert.Equal(HeapProfilerError.NoHeapWalk, Assert.Throws<HeapProfilerException>(d.Select).Error);
    }
}
