using BitFusion.Core.Fusion.Roles;

namespace BitFusion.Core.Tests;

public class PendingRingTests
{
    /// <summary>
    /// The window's ring grows only as it fills: against a queue, every mix of adds and takes (growing while it has
    /// wrapped round, up to a capacity that is not a power of two) keeps the order, the head and the bound.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Grows_as_it_fills_and_keeps_the_order(int seed)
    {
        var random = new Random(seed);
        const int capacity = 300;
        var ring = new PendingRing(capacity);
        var model = new Queue<long>();
        long next = 1;
        for (int step = 0; step < 20_000; step++)
        {
            // Lean towards adds for a while, then towards takes, so the ring fills, wraps and empties again.
            bool add = random.NextDouble() < ((step / 1000) % 2 == 0 ? 0.7 : 0.3);
            if (add && !ring.IsFull)
            {
                ring.Add(new PendingOp { Seq = next });
                model.Enqueue(next++);
            }
            else if (ring.Count > 0)
            {
                Assert.True(model.Peek() == ring.Head.Seq, $"seed {seed} step {step}: head {ring.Head.Seq}, expected {model.Peek()}");
                long taken = ring.Take().Seq;
                Assert.True(model.Dequeue() == taken, $"seed {seed} step {step}: took {taken} out of order");
            }
            Assert.True(model.Count == ring.Count && (model.Count == capacity) == ring.IsFull, $"seed {seed} step {step}: {ring.Count} held, {model.Count} expected");
        }
        while (!ring.IsFull) ring.Add(new PendingOp { Seq = next++ });
        Assert.Equal(capacity, ring.Count);
        Assert.Throws<InvalidOperationException>(() => ring.Add(new PendingOp { Seq = next }));
    }
}
