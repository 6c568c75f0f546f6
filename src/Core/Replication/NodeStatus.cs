namespace BitFusion.Core.Replication;

/// <summary>Where one life of a data node stands.</summary>
internal enum NodePhase : byte
{
    /// <summary>No view admits this life yet: a new process, or one that had to start over. It wants to join.</summary>
    Fresh = 0,

    /// <summary>Admitted, waiting for its state transfer (or for what it kept to clear the transferred state).</summary>
    Joining = 1,

    /// <summary>Caught up: delivers, serves reads, may donate its state.</summary>
    Serving = 2,
}

/// <summary>What a data node tells each manager on connect and whenever its life or phase changes.</summary>
internal readonly record struct NodeStatus(ulong Life, NodePhase Phase, long Incarnation, long Epoch, long Position, long Length);
