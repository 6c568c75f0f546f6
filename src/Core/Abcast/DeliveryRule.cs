namespace BitFusion.Core.Abcast;

/// <summary>
/// Which final message a receiver may deliver. Only <see cref="Skeen"/> is correct; the other is the classic
/// mistake, reachable only from tests, so the simulation can show that it catches it.
/// </summary>
internal enum DeliveryRule
{
    /// <summary>The head of the whole pending queue, when it is final.</summary>
    Skeen,

    /// <summary>The smallest final message, even while a tentative message with a smaller key is pending.</summary>
    SmallestFinalIgnoringTentative,
}
