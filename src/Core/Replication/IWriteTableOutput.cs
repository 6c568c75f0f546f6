using BitFusion.Core.Idempotency;

namespace BitFusion.Core.Replication;

/// <summary>Effects of a <see cref="WriteTable{TTag}"/>, called under the caller's lock; they must not call back into it.</summary>
internal interface IWriteTableOutput<TTag>
{
    /// <summary>The write is done: answer its client with <paramref name="result"/> (remember it for retries).</summary>
    void Completed(TTag tag, int group, in WriteResult result);

    /// <summary>Two replicas of <paramref name="group"/> settled the same write differently: they diverged.</summary>
    void Diverged(int group, in DeliveryReport first, in DeliveryReport other);
}
