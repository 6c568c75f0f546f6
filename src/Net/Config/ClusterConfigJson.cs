using System.Text.Json.Serialization;

namespace BitFusion.Net.Config;

/// <summary>Source-generated (trim- and AOT-safe) JSON for the cluster and client files.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ClusterConfig))]
[JsonSerializable(typeof(ClientConfig))]
internal sealed partial class ClusterConfigJson : JsonSerializerContext;
