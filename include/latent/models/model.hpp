// latent/models/model.hpp: the one model template every named model is an alias of.
//
// model<Space, Likelihood, Extras...> composes
//   - a partition of named latent blocks, each with its prior and posterior (space/),
//   - a likelihood p(x | latent) (space/likelihoods.hpp),
//   - extras: loss terms (adversaries, …; objectives/), flags (conditional_decoder) and at most
//     one objective policy (objectives/objective.hpp; `elbo` when none is given).
// With the default objective its loss is MODELS.md's, term by term:
//   main = w_recon·E_q[−log p(x | z [, y])]                      "recon"
//        + Σ_blocks w_kl.<b>·KL(q(b | x [, y]) ‖ p(b [| y]))      "kl.<b>" (stochastic blocks with a prior)
//        + Σ_terms  (the term's pieces)                          e.g. "entropy.z"
// each piece reduced per example (likelihood: sum or mean over features, KL:
// sum over the block's dims) and averaged over the batch, plus one loss per
// adversary on its own parameter group. Another objective (CCVAE's bounds)
// combines the same per-example parts its own way. The run-time object is
// `model<…>::instance<T, B>`, made by `model<…>::build(backend, data layout,
// networks, options, seed)`.
#pragma once

#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "latent/autograd/grad_mode.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/autograd/ops/shape.hpp"
#include "latent/data/dataset.hpp"
#include "latent/dist/kl.hpp"
#include "latent/models/options.hpp"
#include "latent/objectives/objective.hpp"
#include "latent/objectives/term.hpp"
#include "latent/space/likelihoods.hpp"
#include "latent/space/partition.hpp"
#include "latent/space/posteriors.hpp"
#include "latent/space/priors.hpp"

namespace latent {

/// Flag: the decoder sees the labels too, p(x | z, y) (CondVAE, CondVAE-info).
struct conditional_decoder {
    template <scalar T, backend B>
    struct impl {
        explicit impl(const term_args<T, B>&) {}
        void add(const forward_pass<T, B>&, step_losses<T, B>&) {}
        void for_each_module(const std::function<void(nn::module<T, B>&)>&) {}
    };
};

/// What the model template needs of a loss term (or flag).
template <class X>
concept term_policy = requires { typename X::template impl<float, cpu>; } &&
                      std::constructible_from<typename X::template impl<float, cpu>, const term_args<float, cpu>&> &&
                      requires(typename X::template impl<float, cpu>& t, const forward_pass<float, cpu>& f,
                               step_losses<float, cpu>& out) { t.add(f, out); };

namespace detail {
template <class S>
struct is_partition : std::false_type {};
template <class... Bs>
struct is_partition<partition<Bs...>> : std::true_type {};

template <class Block>
constexpr bool check_block() {
    static_assert(prior_policy<typename Block::prior>,
                  "a block's prior must be a prior policy (standard_normal, switch_prior, learned_conditional_prior, "
                  "no_prior, or a type with impl<T, B> constructible from prior_args)");
    static_assert(posterior_policy<typename Block::posterior>,
                  "a block's posterior must be a posterior policy (gaussian_posterior<from_x>, deterministic<…>, …)");
    if constexpr (requires { Block::prior::dim; })
        static_assert(Block::prior::dim == Block::dim, "this block's prior is for a segment of another size");
    return true;
}

template <class... Bs>
constexpr bool check_blocks(partition<Bs...>*) {
    return (check_block<Bs>() && ...);
}
template <class S>
constexpr bool check_space() {
    if constexpr (is_partition<S>::value) return check_blocks(static_cast<S*>(nullptr));
    return true;
}

/// The extras that are loss terms (or flags), as a std::tuple<…> of their types.
template <class... Xs>
struct terms_of {
    using type = std::tuple<>;
};
template <class X, class... Xs>
struct terms_of<X, Xs...> {
    using rest = typename terms_of<Xs...>::type;
    using type = std::conditional_t<objective_policy<X>, rest,
                                    decltype(std::tuple_cat(std::declval<std::tuple<X>>(), std::declval<rest>()))>;
};
/// The objective among the extras, or `elbo`.
template <class... Xs>
struct objective_of {
    using type = elbo;
};
template <class X, class... Xs>
struct objective_of<X, Xs...> {
    using type = std::conditional_t<objective_policy<X>, X, typename objective_of<Xs...>::type>;
};

/// Labels with the hidden ones (mask 0) read as 0, so that one-hot and class lookups stay in range.
template <class T>
struct visible_labels {
    const std::int32_t* y;
    const T* labelled;
    std::int32_t* out;
    std::size_t width;
    LATENT_HD void operator()(std::size_t i) const { out[i] = labelled[i / width] != T(0) ? y[i] : 0; }
};

template <class Space, class X>
constexpr bool check_term() {
    if constexpr (is_partition<Space>::value && requires { X::segment; })
        (void)Space::template index_of<X::segment>();
    return true;
}
}  // namespace detail

template <class Space, class Likelihood, class... Extras>
struct model {
    static_assert(detail::is_partition<Space>::value,
                  "model<Space, Likelihood, Extras…>: Space must be a partition<block<…>, …> (space/partition.hpp)");
    static_assert(likelihood_policy<Likelihood>,
                  "model<Space, Likelihood, Extras…>: Likelihood must be a likelihood policy such as "
                  "bernoulli_likelihood or gaussian_likelihood (space/likelihoods.hpp)");
    static_assert(((term_policy<Extras> || objective_policy<Extras>) && ...),
                  "model<Space, Likelihood, Extras…>: each extra must be a loss term (entropy_adversary<\"z\">, "
                  "cross_entropy_adversary<\"z\">, gan_discriminator<\"s\">, …), a flag (conditional_decoder) or "
                  "an objective (ccvae_objective<…>)");
    static_assert((int(objective_policy<Extras>) + ... + 0) <= 1,
                  "model<Space, Likelihood, Extras…>: at most one objective policy among the extras");

    static_assert(detail::check_space<Space>());
    static_assert((detail::check_term<Space, Extras>() && ...));

    using space = Space;
    using objective = typename detail::objective_of<Extras...>::type;
    static constexpr bool decoder_sees_labels = (std::same_as<Extras, conditional_decoder> || ...);

    template <scalar T = float, backend B = cpu>
    class instance;

    /// A model of this structure for data of `data`'s layout, with networks from `nets`.
    template <scalar T = float, backend B = cpu>
    static instance<T, B> build(B, const data::example_layout& data, networks<T, B> nets,
                                const model_options& options = {}, std::uint64_t seed = 0) {
        return instance<T, B>(data, std::move(nets), options, seed);
    }
};

template <class Space, class Likelihood, class... Extras>
template <scalar T, backend B>
class model<Space, Likelihood, Extras...>::instance {
    template <class Blocks>
    struct prior_tuple;
    template <class... Bs>
    struct prior_tuple<std::tuple<Bs...>> {
        using type = std::tuple<typename Bs::prior::template impl<T, B>...>;
    };
    template <class Terms>
    struct term_tuple;
    template <class... Xs>
    struct term_tuple<std::tuple<Xs...>> {
        using type = std::tuple<typename Xs::template impl<T, B>...>;
        static type make(const term_args<T, B>& a) { return type(typename Xs::template impl<T, B>(a)...); }
    };
    using terms_type = term_tuple<typename detail::terms_of<Extras...>::type>;
    template <std::size_t I>
    using block_at = std::tuple_element_t<I, typename Space::blocks>;
    template <std::size_t I>
    using prior_impl_at = std::tuple_element_t<I, typename prior_tuple<typename Space::blocks>::type>;

public:
    using structure = model;  // the model<Space, Likelihood, Extras…> this instance is built from
    using var_type = var<T, B>;
    using tensor_type = tensor<T, B>;
    using labels_type = tensor<std::int32_t, B>;

    instance(const data::example_layout& data, networks<T, B> nets, const model_options& options, std::uint64_t seed)
        : data_(data),
          options_(options),
          label_outputs_(data.categorical() ? data.classes : data.label_width),
          layout_(Space::layout(options.sizes(), label_outputs_)),
          nets_(std::move(nets)),
          gen_(seed),
          likelihood_(likelihood_args{data.features(), options_}),
          priors_(make_priors(std::make_index_sequence<Space::count>{})),
          terms_(terms_type::make(args())),
          objective_(args()) {
        build_networks();
        // Priors', likelihoods' and objectives' own parameters belong with the networks: one optimizer.
        for_each_parameter([](parameter<T, B>& p) {
            if (p.group() == "default") p.set_group(model_group);
        });
        options_.check_all_used("model");
    }

    instance(instance&&) noexcept = default;

    const partition_layout& layout() const { return layout_; }
    const data::example_layout& data_layout() const { return data_; }
    const model_options& options() const { return options_; }
    /// The generator of the reparameterised samples (its offset belongs in a checkpoint).
    generator& rng() { return gen_; }
    /// K: the label columns the model conditions on (classes of one categorical label, or binary labels).
    std::int64_t label_outputs() const { return label_outputs_; }

    /// The training losses of one batch: x [n, example shape…], y [n, label_width], every label visible.
    step_losses<T, B> losses(const tensor_type& x, const labels_type& y) { return losses(x, y, nullptr); }
    /// The same with a supervision mask `labelled` [n] (1 visible, 0 hidden; the loader's batch.labelled).
    /// Throws config_error when a label is hidden and the objective needs every label.
    step_losses<T, B> losses(const tensor_type& x, const labels_type& y, const tensor_type& labelled) {
        return losses(x, y, &labelled);
    }
    /// Only the losses `wanted` says, each equal to the one losses(x, y) gives at the same model and
    /// generator state: with loss_set::model the main loss alone (`others` empty), the alternating
    /// trainer's model turn; with loss_set::adversaries the adversaries' groups' losses alone
    /// (`main` empty), its adversary turn.
    step_losses<T, B> losses(const tensor_type& x, const labels_type& y, loss_set wanted) {
        return losses(x, y, nullptr, wanted);
    }
    step_losses<T, B> losses(const tensor_type& x, const labels_type& y, const tensor_type& labelled,
                             loss_set wanted) {
        return losses(x, y, &labelled, wanted);
    }

private:
    step_losses<T, B> losses(const tensor_type& x, const labels_type& y, const tensor_type* labelled,
                             loss_set wanted = loss_set::all) {
        // Without a mask every label is visible: nothing is copied. With one, its visible labels are
        // counted on the host, and y is copied with the hidden ones read as 0 only when some are hidden.
        const std::int64_t visible = labelled != nullptr ? count_visible(y, *labelled) : y.rows();
        forward_pass<T, B> f = forward(x, visible == y.rows() ? y : masked(y, *labelled), /*sample=*/true);
        set_mask(f, labelled, visible);
        f.decode = [this](const var_type& latent, const label_batch<T, B>& lb) { return decoded_mean(latent, lb); };
        f.labels = [this](const labels_type& raw) { return labels_of(raw); };
        f.reconstruction_nll = [this, &f](const var_type& latent) { return reconstruction_nll(f, latent); };
        f.gen = &gen_;
        f.wanted = wanted;
        step_losses<T, B> out;
        if (wanted == loss_set::adversaries) {
            std::apply([&](auto&... t) { (t.add(f, out), ...); }, terms_);
            return out;
        }
        const elbo_view<T, B> view{
            f,
            reconstruction_nll(f, concat_samples(f)),
            [](std::size_t i) { return has_kl_at(i); },
            [this](std::size_t i, const var_type& y) { return kl_at(i, y); },
            [this](std::size_t i) { return posterior_at(i); },
            [this](std::size_t i, const var_type& y) { return prior_at(i, y); },
            [this, &x](const labels_type& y) { return neg_elbo_under(x, y); },
            [this, &f](const var_type& latent) { return reconstruction_nll(f, latent); }};
        objective_.add(view, out);
        std::apply([&](auto&... t) { (t.add(f, out), ...); }, terms_);
        return out;
    }

    /// −log p(x | latent [, y]) per example [n, 1], reduced over features as the options say.
    var_type reconstruction_nll(const forward_pass<T, B>& f, const var_type& latent) {
        const var_type nll = likelihood_.nll_elements(reshape(decode_var(latent, f.y), f.x.shape()), f.x);
        return options_.reconstruction() == reduction::sum ? sum_rows(nll) : mean_rows(nll);
    }

    /// −ELBO per example [n, 1] of x under labels y: a second forward pass, whose posteriors do not
    /// replace the batch's own (the objective may still ask for those).
    var_type neg_elbo_under(const tensor_type& x, const labels_type& y) {
        const auto batch_posteriors = posteriors_;
        const forward_pass<T, B> g = forward(x, y, /*sample=*/true);
        var_type total = reconstruction_nll(g, concat_samples(g));
        for (std::size_t i = 0; i < layout_.segments.size(); ++i)
            if (has_kl_at(i)) total = total + kl_at(i, g.y.as_float);
        posteriors_ = batch_posteriors;
        return total;
    }

public:
    /// Posterior means of every segment (no graph): name → [n, dim].
    std::map<std::string, tensor_type> encode(const tensor_type& x, const labels_type& y) {
        no_grad guard;
        forward_pass<T, B> f = forward(x, y, /*sample=*/false);
        std::map<std::string, tensor_type> out;
        for (std::size_t i = 0; i < layout_.segments.size(); ++i) out[layout_.segments[i].name] = f.samples[i].value();
        return out;
    }
    /// q(segment | x [, y]) as a Normal (loc, scale [n, dim]), no graph. Throws config_error when
    /// the segment's posterior is not Gaussian.
    dist::normal<T, B> posterior_normal(const tensor_type& x, const labels_type& y, std::string_view segment) {
        no_grad guard;
        const forward_pass<T, B> f = forward(x, y, false);
        const dist::normal<T, B> q = posterior_at(layout_.index_of(segment));
        return {var_type(q.loc.value()), var_type(q.scale.value())};
    }
    /// p(segment | y) as a Normal for labels y [n, label_width], no graph (a prior given once per
    /// model is [1, dim]). Throws config_error when the segment's prior gives no distribution.
    dist::normal<T, B> prior_normal(std::string_view segment, const labels_type& y) {
        no_grad guard;
        const dist::normal<T, B> p = prior_at(layout_.index_of(segment), labels_of(y).as_float);
        return {var_type(p.loc.value()), var_type(p.scale.value())};
    }
    /// The whole latent of posterior means, [n, total], segments in partition order.
    tensor_type encode_mean(const tensor_type& x, const labels_type& y) {
        no_grad guard;
        forward_pass<T, B> f = forward(x, y, false);
        return concat_samples(f).value();
    }
    /// The decoder's mean for a latent [n, total] (and labels, where the decoder sees them).
    tensor_type decode(const tensor_type& latent, const labels_type& y) {
        no_grad guard;
        return decoded_mean(var_type(latent), labels_of(y)).value();
    }
    /// The decoder's mean for a latent [n, total] and label values [n, K] given as numbers
    /// (CondVAE's scaled switch c·y'); the values are ignored when the decoder does not see labels.
    tensor_type decode_with_label_values(const tensor_type& latent, const tensor_type& label_values) {
        no_grad guard;
        label_batch<T, B> lb;
        lb.as_float = var_type(label_values);
        return decoded_mean(var_type(latent), lb).value();
    }
    /// Labels y [n, label_width] as the numbers the networks read, [n, K]: one-hot rows for one
    /// categorical label, the 0/1 values for binary ones.
    tensor_type label_values(const labels_type& y) const { return labels_of(y).as_float.value(); }
    /// decode(encode_mean(x, y), y).
    tensor_type reconstruct(const tensor_type& x, const labels_type& y) { return decode(encode_mean(x, y), y); }

    /// A latent [n, total] drawn from the priors given labels y [n, label_width]. requires: every block has a prior.
    tensor_type sample_prior(const labels_type& y) {
        no_grad guard;
        const label_batch<T, B> lb = labels_of(y);
        std::vector<var_type> parts;
        sample_priors(lb, y.rows(), parts, std::make_index_sequence<Space::count>{});
        return concat_features(std::span<const var_type>(parts)).value();
    }
    /// Conditional generation: decode(sample_prior(y)).
    tensor_type generate(const labels_type& y) { return decode(sample_prior(y), y); }

    /// Every parameter and buffer: the model's own, then each adversary's.
    std::vector<parameter<T, B>*> parameters() {
        std::vector<parameter<T, B>*> out;
        for_each_parameter([&](parameter<T, B>& p) { out.push_back(&p); });
        return out;
    }
    /// The trainable parameters of one group ("model", "adversary.z", …).
    std::vector<parameter<T, B>*> parameters(const std::string& group) {
        std::vector<parameter<T, B>*> out;
        for_each_parameter([&](parameter<T, B>& p) {
            if (p.trainable() && p.group() == group) out.push_back(&p);
        });
        return out;
    }
    /// The parameter groups, "model" first, in a stable order.
    std::vector<std::string> groups() {
        std::vector<std::string> out{model_group};
        for_each_parameter([&](parameter<T, B>& p) {
            if (!p.trainable()) return;
            for (const auto& g : out)
                if (g == p.group()) return;
            out.push_back(p.group());
        });
        return out;
    }
    void for_each_parameter(const std::function<void(parameter<T, B>&)>& f) {
        for_each_module([&](nn::module<T, B>& m) { m.for_each_parameter(f); });
        likelihood_.for_each_parameter(f);
        std::apply([&](auto&... p) { (p.for_each_parameter(f), ...); }, priors_);
        if constexpr (requires { objective_.for_each_parameter(f); }) objective_.for_each_parameter(f);
    }
    void for_each_module(const std::function<void(nn::module<T, B>&)>& f) {
        for (auto& t : trunks_) f(*t);
        for (auto& h : heads_) f(*h);
        f(*decoder_);
        std::apply([&](auto&... t) { (t.for_each_module(f), ...); }, terms_);
        objective_.for_each_module(f);
    }
    /// Training mode (batch statistics, dropout) or evaluation mode, for every network.
    void set_training(bool on) {
        for_each_module([&](nn::module<T, B>& m) { m.set_training(on); });
    }

    /// The prior policy object of segment `Name` (switch_prior's μ_on, a learned prior's parameters).
    template <fixed_string Name>
    auto& prior() {
        return std::get<Space::template index_of<Name>()>(priors_);
    }
    /// The term object of type Extra<T, B> (an adversary, to probe it).
    template <class Term>
    auto& term() {
        return std::get<typename Term::template impl<T, B>>(terms_);
    }
    /// The objective object (CCVAE's classifier lives there).
    auto& objective_impl() { return objective_; }

private:
    term_args<T, B> args() { return {layout_, label_outputs_, data_.categorical(), nets_, options_, gen_, data_.shape}; }

    /// How many of the mask's labels are visible (the mask's one copy to the host).
    static std::int64_t count_visible(const labels_type& y, const tensor_type& labelled) {
        LATENT_CHECK(labelled.shape().numel() == y.rows() && y.shape().rank() == 2, shape_error,
                     "model: supervision mask ", labelled.shape(), " should have one value per label row of ",
                     y.shape());
        std::int64_t count = 0;
        for (T v : labelled.to_vector()) count += v != T(0);
        return count;
    }
    /// y with hidden labels read as 0 (see detail::visible_labels).
    static labels_type masked(const labels_type& y, const tensor_type& labelled) {
        labels_type out(y.shape());
        launch(B{}, out.size(),
               detail::visible_labels<T>{y.data(), labelled.data(), out.data(), static_cast<std::size_t>(y.cols())});
        return out;
    }
    /// The batch's mask [n, 1] with its `count` of visible labels (count_visible); all ones without a mask.
    void set_mask(forward_pass<T, B>& f, const tensor_type* labelled, std::int64_t count) const {
        if (labelled == nullptr) {
            f.labelled = var_type(tensor_type::full({f.batch, 1}, T(1)));
            f.labelled_count = f.batch;
            return;
        }
        f.labelled = var_type(labelled->reshape({f.batch, 1}));
        f.labelled_count = count;
        f.all_labelled = count == f.batch;
        LATENT_CHECK(f.all_labelled || objective::handles_unlabelled, config_error, "model: ", f.batch - count, " of ",
                     f.batch, " labels in this batch are hidden, and this model's objective needs every label ",
                     "(a semi-supervised objective such as ccvae_objective handles hidden ones)");
    }
    template <std::size_t... I>
    auto make_priors(std::index_sequence<I...>) {
        return typename prior_tuple<typename Space::blocks>::type(
            prior_args{layout_.segments[I], label_outputs_, options_, gen_}...);
    }

    void build_networks() {
        const std::int64_t width = nets_.trunk_width(data_.shape);
        const std::size_t trunks = options_.shared_trunk() ? 1 : layout_.segments.size();
        for (std::size_t i = 0; i < trunks; ++i) {
            const std::string name = trunks == 1 ? "trunk" : "trunk." + layout_.segments[i].name;
            trunks_.push_back(network({net_role::trunk, name, data_.shape, {width}}));
        }
        build_heads(width, std::make_index_sequence<Space::count>{});
        const std::int64_t decoder_in = layout_.total + (decoder_sees_labels ? label_outputs_ : 0);
        decoder_ = network({net_role::decoder, "decoder", {decoder_in}, data_.shape});
    }
    template <std::size_t... I>
    void build_heads(std::int64_t width, std::index_sequence<I...>) {
        (build_head<block_at<I>>(layout_.segments[I], width), ...);
    }
    template <class Block>
    void build_head(const segment& s, std::int64_t width) {
        using post = typename Block::posterior;
        const std::int64_t in = width + (post::condition::sees_labels ? label_outputs_ : 0);
        heads_.push_back(network({net_role::head, "head." + s.name, {in}, {post::params_per_dim * s.dim}}));
    }
    std::unique_ptr<nn::module<T, B>> network(const net_request& request) {
        return make_network(nets_, request, gen_, model_group, "model");
    }

    label_batch<T, B> labels_of(const labels_type& y) const {
        LATENT_CHECK(y.shape().rank() == 2 && y.cols() == data_.label_width, shape_error, "model: labels ", y.shape(),
                     " should be [n, ", data_.label_width, "]");
        label_batch<T, B> out;
        out.raw = y;
        if (data_.categorical()) {
            out.classes = y.reshape({y.rows()});
            out.as_float = var_type(one_hot<T, B>(out.classes, static_cast<int>(data_.classes)));
        } else {
            out.as_float = var_type(y.template as<T>());
        }
        return out;
    }

    latent::shape example_batch_shape(std::int64_t n) const {
        std::vector<std::int64_t> dims{n};
        dims.insert(dims.end(), data_.shape.begin(), data_.shape.end());
        return latent::shape::from_range(dims.begin(), dims.end());
    }

    forward_pass<T, B> forward(const tensor_type& x, const labels_type& y, bool sample) {
        LATENT_CHECK(x.shape() == example_batch_shape(x.shape()[0]), shape_error, "model: inputs ", x.shape(),
                     " do not match the examples' shape");
        LATENT_CHECK(y.rows() == x.shape()[0], shape_error, "model: ", x.shape()[0], " inputs but ", y.rows(),
                     " label rows");
        forward_pass<T, B> f;
        f.layout = &layout_;
        f.x = var_type(x);
        f.y = labels_of(y);
        f.categorical = data_.categorical();
        f.batch = x.shape()[0];
        std::vector<var_type> features;
        for (auto& t : trunks_) features.push_back((*t)(f.x));
        encode_blocks(f, features, sample, std::make_index_sequence<Space::count>{});
        return f;
    }
    template <std::size_t... I>
    void encode_blocks(forward_pass<T, B>& f, const std::vector<var_type>& features, bool sample,
                       std::index_sequence<I...>) {
        f.samples.resize(Space::count);
        posteriors_ = std::tuple<decltype(posterior_of<I>(f, features))...>{posterior_of<I>(f, features)...};
        ((f.samples[I] = sample ? draw(std::get<I>(posteriors_)) : std::get<I>(posteriors_).mean()), ...);
    }
    template <std::size_t I>
    auto posterior_of(const forward_pass<T, B>& f, const std::vector<var_type>& features) {
        using post = typename block_at<I>::posterior;
        const var_type& h = features[features.size() == 1 ? 0 : I];
        const var_type in = post::condition::sees_labels ? concat_features({h, f.y.as_float}) : h;
        return post::template make<T, B>((*heads_[I])(in), layout_.segments[I].dim);
    }
    template <class D>
    var_type draw(const D& q) {
        if constexpr (requires { q.rsample(gen_); }) return q.rsample(gen_);
        else return q.mean();
    }

    /// f(std::integral_constant<std::size_t, I>{}) for the block I == i: the one fold from a
    /// run-time block index to a block's types and objects (f reads the index as the constant
    /// I()). Every f(I) returns the same type; an i past the last block gives that type's
    /// value-initialised value.
    template <class F>
    static auto visit_block(std::size_t i, F&& f) {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            std::invoke_result_t<F&, std::integral_constant<std::size_t, 0>> out{};
            ((i == I ? (out = f(std::integral_constant<std::size_t, I>{}), true) : false) || ...);
            return out;
        }(std::make_index_sequence<Space::count>{});
    }

    template <std::size_t I>
    static constexpr bool block_has_kl() {
        return block_at<I>::posterior::stochastic && distribution_prior<prior_impl_at<I>, T, B>;
    }
    static bool has_kl_at(std::size_t i) {
        return visit_block(i, [](auto I) { return block_has_kl<I()>(); });
    }
    /// Block i's KL(q(block i) ‖ p(block i | y)) per example as [n, 1], like every per-example
    /// value an objective sees.
    var_type kl_at(std::size_t i, const var_type& y) {
        const var_type out = visit_block(i, [&](auto I) -> var_type {
            if constexpr (block_has_kl<I()>()) {
                const auto& q = std::get<I()>(posteriors_);
                const auto p = std::get<I()>(priors_).distribution(y, y.rows());
                if constexpr (std::same_as<typename block_at<I()>::prior, standard_normal>)
                    return dist::kl_standard_normal(q);
                else if constexpr (requires { dist::kl(q, p); }) return dist::kl(q, p);
                else return dist::kl_monte_carlo(q, p, gen_);
            } else {
                throw config_error(
                    detail::concat("model: segment \"", layout_.segments[I()].name, "\" has no KL term"));
            }
        });
        return reshape(out, shape{out.shape().numel(), 1});
    }
    /// Block i's posterior as a Normal; config_error when it is not Gaussian.
    dist::normal<T, B> posterior_at(std::size_t i) const {
        return visit_block(i, [&](auto I) -> dist::normal<T, B> {
            const auto& q = std::get<I()>(posteriors_);
            if constexpr (std::same_as<std::decay_t<decltype(q)>, dist::normal<T, B>>) return q;
            else throw config_error(detail::concat("model: segment \"", layout_.segments[I()].name,
                                                   "\" has no Gaussian posterior"));
        });
    }
    /// Block i's prior as a Normal for label values y; config_error when it gives no distribution.
    dist::normal<T, B> prior_at(std::size_t i, const var_type& y) const {
        return visit_block(i, [&](auto I) -> dist::normal<T, B> {
            if constexpr (distribution_prior<prior_impl_at<I()>, T, B>)
                return std::get<I()>(priors_).distribution(y, y.rows());
            else throw config_error(detail::concat("model: segment \"", layout_.segments[I()].name, "\" has no prior"));
        });
    }

    template <std::size_t... I>
    void sample_priors(const label_batch<T, B>& y, std::int64_t n, std::vector<var_type>& parts,
                       std::index_sequence<I...>) {
        (sample_prior_of<I>(y, n, parts), ...);
    }
    template <std::size_t I>
    void sample_prior_of(const label_batch<T, B>& y, std::int64_t n, std::vector<var_type>& parts) {
        if constexpr (distribution_prior<prior_impl_at<I>, T, B>) {
            const auto p = std::get<I>(priors_).distribution(y.as_float, n);
            // A prior given as [1, dim] is drawn once per example.
            const auto loc = p.loc.rows() == n ? p.loc : var_type(tensor_type::zeros({n, layout_.segments[I].dim})) + p.loc;
            const auto scale =
                p.scale.rows() == n ? p.scale : var_type(tensor_type::zeros({n, layout_.segments[I].dim})) + p.scale;
            parts.push_back(var_type(dist::normal<T, B>{loc, scale}.sample(gen_)));
        } else {
            throw config_error(detail::concat("sample_prior: segment \"", layout_.segments[I].name,
                                              "\" has no prior to sample from; give its values instead"));
        }
    }

    var_type concat_samples(const forward_pass<T, B>& f) const {
        return f.samples.size() == 1 ? f.samples[0] : concat_features(std::span<const var_type>(f.samples));
    }
    /// The likelihood's mean of the decoder's output for a latent [n, total], in the examples' shape.
    var_type decoded_mean(const var_type& latent, const label_batch<T, B>& y) {
        return likelihood_.mean(reshape(decode_var(latent, y), example_batch_shape(latent.rows())));
    }
    var_type decode_var(const var_type& latent, const label_batch<T, B>& y) {
        LATENT_CHECK(latent.cols() == layout_.total, shape_error, "model: latent ", latent.shape(), " should have ",
                     layout_.total, " columns");
        if constexpr (decoder_sees_labels) return (*decoder_)(concat_features({latent, y.as_float}));
        else return (*decoder_)(latent);
    }

    template <std::size_t... I>
    static auto posterior_types(std::index_sequence<I...>)
        -> std::tuple<decltype(block_at<I>::posterior::template make<T, B>(
            std::declval<var_type>(), std::int64_t{}))...>;

    data::example_layout data_;
    model_options options_;
    std::int64_t label_outputs_;
    partition_layout layout_;
    networks<T, B> nets_;
    generator gen_;
    typename Likelihood::template impl<T, B> likelihood_;
    typename prior_tuple<typename Space::blocks>::type priors_;
    typename terms_type::type terms_;
    typename objective::template impl<T, B> objective_;
    std::vector<std::unique_ptr<nn::module<T, B>>> trunks_, heads_;
    std::unique_ptr<nn::module<T, B>> decoder_;
    decltype(posterior_types(std::make_index_sequence<Space::count>{})) posteriors_;
};

}  // namespace latent
