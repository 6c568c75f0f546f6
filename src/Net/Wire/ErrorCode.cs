namespace BitFusion.Net.Wire;

/// <summary>
/// Why a request failed; the Error frame carries a human-readable message too. For a write every code but
/// <see cref="Unknown"/> means it was not applied; <see cref="Unknown"/> is the only ambiguous answer.
/// </summary>
public enum ErrorCode : byte
{
    /// <summary>The request was malformed or not allowed here; not applied.</summary>
    BadRequest = 1,
    /// <summary>The index lies outside the list; not applied.</summary>
    OutOfRange = 2,
    /// <summary>
    /// A read reached a server that is not serving yet (recovering, or not yet in a view); retry later.
    /// </summary>
    NotReady = 3,

    /// <summary>Recovery only: the data asked for is no longer held here. Never the answer to a client's write.</summary>
    Unavailable = 4,
    /// <summary>
    /// The state the request relied on changed under it (between nodes: a peer went away during a recovery cut); not applied.
    /// </summary>
    Conflict = 5,
    /// <summary>The server failed on its side; not applied.</summary>
    Internal = 6,

    /// <summary>A write that was not applied and never will be under this seq's first try: safe to retry.</summary>
    NotDone = 7,

    /// <summary>A write that may have been applied: retry with the same client seq to learn which, if the server still knows.</summary>
    Unknown = 8,
}
