using System.Text.Json.Serialization;

namespace BitFusion.Net.Config;

/// <summary>Source-generated (trim- and AOT-safe) JSON for the configuration file.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ClusterConfig))]
internal sealed partial class ClusterConfigJson : JsonSerializerContext;
