using BitFusion.Core.Abcast;
using BitFusion.Core.Replication;

namespace BitFusion.Net.Replication;

/// <summary>
/// A proposal or a delivery report from a data node, parsed and waiting for the end of its read batch, when the
/// manager applies the batch's reports in arrival order under one lock.
/// </summary>
internal readonly record struct NodeReport(ProposalMessage Proposal, DeliveryReport Delivery, bool IsProposal)
{
    public static NodeReport Of(in ProposalMessage proposal) => new(proposal, default, true);

    public static NodeReport Of(in DeliveryReport delivery) => new(default, delivery, false);
}
