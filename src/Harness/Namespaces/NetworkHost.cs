using System.Net;

namespace BitFusion.Harness.Namespaces;

/// <summary>One simulated host: a network namespace with one interface and one address on the shared segment.</summary>
internal sealed record NetworkHost(string Namespace, IPAddress Address);
