namespace BitFusion.Net.Wire;

/// <summary>
/// Why a request failed; the Error frame carries a human-readable message too. For a write every code but
/// <see cref="Unknown"/> means it was not applied; <see cref="Unknown"/> is the only ambiguous answer.
/// </summary>
public enum ErrorCode : byte
{
    BadRequest = 1,
    OutOfRange = 2,
    NotReady = 3,

    /// <summary>Recovery only: the data asked for is no longer held here. Never the answer to a client's write.</summary>
    Unavailable = 4,
    Conflict = 5,
    Internal = 6,

    /// <summary>A write that was not applied and never will be under this seq's first try: safe to retry.</summary>
    NotDone = 7,

    /// <summary>A write that may have been applied: retry with the same client seq to learn which, if the server still knows.</summary>
    Unknown = 8,
}
