namespace BitFusion.Net.Config;

/// <summary>The configuration file is missing, malformed or inconsistent; the message names the file and the problem.</summary>
public sealed class ConfigException(string message) : Exception(message);
