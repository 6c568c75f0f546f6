using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace BitFusion.Net.Transport;

/// <summary>
/// The role and node id a cluster certificate is issued for, carried as one subject-alternative-name URI
/// <c>bitfusion:ROLE/ID</c> (e.g. <c>bitfusion:primary/2</c>, <c>bitfusion:client/7</c>). A certificate that names
/// none, or more than one, names nobody.
/// </summary>
internal static class CertificateIdentity
{
    private const string Scheme = "bitfusion:";
    private const string SubjectAltNameOid = "2.5.29.17";
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    /// <summary>The role as certificates and cluster files spell it: primary, backup, manager, datanode, client.</summary>
    public static string RoleName(NodeRole role) => role.ToString().ToLowerInvariant();

    /// <summary>The subject-alternative-name URI a certificate for <paramref name="identity"/> carries.</summary>
    public static Uri ToUri(PeerIdentity identity) => new($"{Scheme}{RoleName(identity.Role)}/{identity.NodeId}");

    /// <summary>The identity the certificate's one <c>bitfusion:</c> URI names; false when it has none, several, or a malformed one.</summary>
    public static bool TryRead(X509Certificate2 certificate, out PeerIdentity identity)
    {
        identity = default;
        int found = 0;
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid) continue;
            try
            {
                AsnReader names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
                while (names.HasData)
                {
                    Asn1Tag tag = names.PeekTag();
                    if (!tag.HasSameClassAndValue(UriTag))
                    {
                        names.ReadEncodedValue();
                        continue;
                    }
                    string uri = names.ReadCharacterString(UniversalTagNumber.IA5String, tag);
                    if (!uri.StartsWith(Scheme, StringComparison.Ordinal)) continue;
                    if (++found > 1 || !TryParse(uri.AsSpan(Scheme.Length), out identity)) return false;
                }
            }
            catch (AsnContentException)
            {
                return false;
            }
        }
        return found == 1;
    }

    /// <summary>Parses <c>ROLE/ID</c>, the role as <see cref="RoleName"/> spells it.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out PeerIdentity identity)
    {
        identity = default;
        int slash = text.IndexOf('/');
        if (slash < 0) return false;
        if (!ushort.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ushort id))
            return false;
        foreach (NodeRole role in Enum.GetValues<NodeRole>())
        {
            if (!text[..slash].SequenceEqual(RoleName(role))) continue;
            identity = new PeerIdentity(role, id);
            return true;
        }
        return false;
    }
}
