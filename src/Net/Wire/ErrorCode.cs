namespace BitFusion.Net.Wire;

/// <summary>Why a request failed; the Error frame carries a human-readable message too.</summary>
public enum ErrorCode : byte
{
    BadRequest = 1,
    OutOfRange = 2,
    NotReady = 3,
    Unavailable = 4,
    Conflict = 5,
    Internal = 6,
}
