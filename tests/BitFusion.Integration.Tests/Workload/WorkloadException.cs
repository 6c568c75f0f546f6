namespace BitFusion.Integration.Tests.Workload;

/// <summary>The cluster broke a promise the workload checks (a lost or invented write, a wrong answer, a stall).</summary>
internal sealed class WorkloadException(string message, Exception? inner = null) : Exception(message, inner);
