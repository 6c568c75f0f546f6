namespace BitFusion.Core.Kernels;

/// <summary>
/// How a GF pass stores its outputs, fixed when the JIT compiles it and tested as <c>typeof(T) == typeof(…)</c>,
/// so the loop carries neither a branch per store nor the registers a run-time mask would take (with the mask
/// tested per store, a 5+2 loop kept its source pointers in stack slots and reloaded them every trip).
/// </summary>
internal interface IStoreMode;

/// <summary>Outputs are read and the products XORed into them.</summary>
internal readonly struct Accumulate : IStoreMode;

/// <summary>Outputs are only written, through the caches.</summary>
internal readonly struct Overwrite : IStoreMode;

/// <summary>Outputs are only written, every one streamed past the caches (all aligned to the width).</summary>
internal readonly struct StreamAll : IStoreMode;

/// <summary>Outputs are only written; those whose bit is set in the pass's mask are streamed, the others cached.</summary>
internal readonly struct StreamSome : IStoreMode;
