namespace BitFusion.Harness.Faults;

/// <summary>Which way bytes travel through a proxied connection.</summary>
internal enum Direction
{
    /// <summary>From the process that dialed to the one that listens.</summary>
    ToListener,

    /// <summary>From the listening process back to the one that dialed.</summary>
    ToDialer,
}
