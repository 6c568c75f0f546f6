using BitFusion.Core.Abcast;

namespace BitFusion.Core.Tests.Abcast;

public class PendingQueueTests
{
    [Fact]
    public void The_head_is_always_the_smallest_key_through_adds_finalisations_and_removals()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var rng = new Random(seed);
            var queue = new PendingQueue<int>();
            var model = new SortedDictionary<OrderKey, bool>();
            var ids = new List<MessageId>();
            long nextSeq = 1;
            for (int step = 0; step < 200; step++)
            {
                int op = rng.Next(10);
                if (op < 5 || ids.Count == 0)
                {
                    var id = new MessageId(rng.Next(4), nextSeq++);
                    long ts = rng.Next(50);
                    queue.Add(id, ts, 0, GroupSet.Of(0), (int)id.Seq);
                    model.Add(new OrderKey(ts, id), false);
                    ids.Add(id);
                }
                else
                {
                    MessageId id = ids[rng.Next(ids.Count)];
                    Assert.True(queue.TryFind(id, out int slot), $"seed {seed}");
                    OrderKey key = queue[slot].Key;
                    Assert.Equal(model[key], queue[slot].IsFinal);
                    model.Remove(key);
                    if (op < 8 && !queue[slot].IsFinal)
                    {
                        long final = key.Timestamp + rng.Next(30);
                        queue.MakeFinal(slot, final);
                        model.Add(new OrderKey(final, id), true);
                    }
                    else
                    {
                        Assert.Equal((int)id.Seq, queue.Remove(slot).Payload);
                        ids.Remove(id);
                    }
                }
                Assert.Equal(model.Count, queue.Count);
                if (model.Count == 0) Assert.False(queue.TryPeekHead(out _));
                else
                {
                    Assert.True(queue.TryPeekHead(out int head));
                    Assert.True(model.First().Key == queue[head].Key, $"seed {seed} step {step}: head {queue[head].Key}, expected {model.First().Key}");
                }
            }
        }
    }
}
