import TensorGraph

/// The C-ViViT GAN objectives of phenaki-pytorch's cvivit.py, chosen by `use_hinge_loss`.
///
/// - hinge: `hinge_discr_loss(fake, real) = mean(relu(1 + fake) + relu(1 − real))`,
///   `hinge_gen_loss(fake) = −mean(fake)`;
/// - bce: `bce_discr_loss(fake, real) = mean(−log(1 − σ(fake)) − log σ(real))`,
///   `bce_gen_loss(fake) = −mean(log σ(fake))`, with `log(t) = ln(t + 1e-10)`. (cvivit.py 0.5.0
///   calls a `log` it never defines, so its BCE losses raise `NameError`; the `log` used here is
///   the one phenaki_pytorch.py defines, the evident intent.)
public enum GANLoss: String, Sendable, CaseIterable {
    case hinge
    case bce

    /// The discriminator's loss on the logits of fake (reconstructed) and real images.
    public func discriminatorLoss(fake: Tensor, real: Tensor) -> Tensor {
        switch self {
        case .hinge: return ((1.0 + fake).relu() + (1.0 - real).relu()).mean()
        case .bce: return (-GANLoss.log(1.0 - fake.sigmoid()) - GANLoss.log(real.sigmoid())).mean()
        }
    }

    /// The generator's loss on the discriminator's logits of fake images.
    public func generatorLoss(fake: Tensor) -> Tensor {
        switch self {
        case .hinge: return -fake.mean()
        case .bce: return -GANLoss.log(fake.sigmoid()).mean()
        }
    }

    /// phenaki-pytorch's `log(t, eps = 1e-10) = torch.log(t + eps)`.
    static func log(_ x: Tensor) -> Tensor { (x + 1e-10).log() }
}

/// phenaki-pytorch's `gradient_penalty(images, output, weight)` given `gradients` = ∂Σoutput/∂images
/// (`grad_outputs` of ones): `weight · mean_b((‖gradients_b‖₂ − 1)²)` with the norm over everything
/// but the batch axis. Build `gradients` inside the graph (GraphCompiler's `gradients(of:…)`) so the
/// penalty can be differentiated again.
public func gradientPenalty(gradients: Tensor, weight: Double = 10) -> Tensor {
    let norms = gradients.reshape([gradients.shape[0], -1]).square().sum(axes: [1]).sqrt()
    return (norms - 1.0).square().mean() * weight
}
