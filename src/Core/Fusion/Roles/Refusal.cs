namespace BitFusion.Core.Fusion.Roles;

/// <summary>Why a backup refused a recovery request; every refusal makes the recoverer start a fresh attempt.</summary>
internal enum Refusal : byte
{
    /// <summary>The request is malformed (a lost set with repeats, a primary out of range).</summary>
    BadRequest,

    /// <summary>The backup is not ready: it is being re-encoded, or a survivor is not serving it.</summary>
    NotReady,

    /// <summary>The deltas asked for are no longer retained here.</summary>
    Unavailable,

    /// <summary>State moved on since the recoverer looked (a primary came back, a delta would leave a gap, a cut lost a survivor).</summary>
    Conflict,
}
