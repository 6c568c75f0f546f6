namespace BitFusion.Core.Abcast;

/// <summary>What a state machine did with one incoming message; the network layer counts the non-accepted kinds.</summary>
internal enum ReceiveOutcome
{
    /// <summary>The message changed state.</summary>
    Accepted,

    /// <summary>A resend already seen (after a reconnect); at most the stored proposal was sent again.</summary>
    Duplicate,

    /// <summary>From a sender this node's view has removed: dropped so recovery's snapshot of the orphans holds.</summary>
    StaleSender,

    /// <summary>Not for this process: another group, or a message sent to a previous incarnation of this node.</summary>
    NotAddressed,

    /// <summary>Breaks the protocol (a final before its data, a final below the local proposal, a wrong sender); ignored.</summary>
    Invalid,

    /// <summary>This process has left the view and must stop.</summary>
    Stopped,
}

/// <summary>The result of installing a view.</summary>
internal enum ViewOutcome
{
    Installed,

    /// <summary>Not newer than the installed view; ignored.</summary>
    Stale,

    /// <summary>The view no longer contains this process. It must stop; a restarted process joins afresh.</summary>
    Excluded,

    /// <summary>This replica's donor left before the state transfer arrived. It must stop and rejoin with another donor.</summary>
    JoinAborted,

    /// <summary>
    /// A view of the same epoch from the coordinator's successor replaced the installed one, and keeps a sender or
    /// replica the installed one had removed: what this replica did under the deposed view may conflict with it.
    /// It must stop and rejoin.
    /// </summary>
    Superseded,
}

/// <summary>Why a pending message was dropped without being delivered; either way the payload can be released.</summary>
internal enum DiscardReason
{
    /// <summary>Its sender died before every live destination held it, and recovery decided to drop it everywhere.</summary>
    OrphanDropped,

    /// <summary>A joining replica held it, but the transferred state already reflects it.</summary>
    InTransferredState,
}
