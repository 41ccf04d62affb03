// The optimizer interface as a user meets it: a new optimizer is one small class on
// GroupedOptimizer (here sign descent, x ← x − lr·sign(g), with a step counter kept by
// the base), and it gets groups, float and double parameters, state_dict and minimize().
#include <gtest/gtest.h>

#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

namespace {

struct SignDescentOptions {
  double lr = 0.1;
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr);
  }
};

class SignDescent : public opt::GroupedOptimizer<SignDescent, SignDescentOptions> {
 public:
  static constexpr const char* name = "SignDescent";
  static constexpr std::array<const char*, 0> buffer_names = {};
  using GroupedOptimizer::GroupedOptimizer;
  static void validate(const SignDescentOptions& o) {
    opt::require(o.lr >= 0, name, "lr", o.lr, "must be >= 0");
  }
  template <class T>
  void update(const SignDescentOptions& o, opt::ParameterState<T>&, T* x, const T* g, Eigen::Index n) {
    for (Eigen::Index i = 0; i < n; ++i)
      x[i] -= static_cast<T>(o.lr) * (g[i] > 0 ? T(1) : (g[i] < 0 ? T(-1) : T(0)));
  }
};

TEST(UserOptimizer, OneSmallClassStepsFloatAndDoubleParameters) {
  tg::Parameter a(Eigen::VectorXd((Eigen::VectorXd(2) << 1, -1).finished()));
  tg::FloatParameter b(2.0f);
  SignDescent descent({a, b}, {.lr = 0.25});
  a.grad() << 3, -0.5;
  b.grad()(0) = 0;
  descent.step();
  EXPECT_EQ(a.value()(0), 0.75);   // 1 − 0.25·sign(3)
  EXPECT_EQ(a.value()(1), -0.75);  // −1 − 0.25·sign(−0.5)
  EXPECT_EQ(b.value()(0), 2.0f);   // sign(0) = 0
  EXPECT_EQ(descent.state_dict().scalar("param.0.0.step"), 1);
  EXPECT_EQ(descent.state_dict().scalar("group.0.lr"), 0.25);
  EXPECT_THROW(SignDescent({a}, {.lr = -1}), tg::Error);
}

TEST(UserOptimizer, DrivesMinimize) {
  // |x − 3| from 0 with steps of 0.5: 0.5, 1, …, 3 after six updates, where the
  // gradient is sign(0) = 0.
  tg::Parameter x(Eigen::VectorXd::Zero(1));
  SignDescent descent({x}, {.lr = 0.5});
  const opt::MinimizeResult r = opt::minimize([](std::span<const tg::Var> v) { return tg::abs(v[0] - 3.0); },
                                              x, descent, {.max_steps = 100});
  EXPECT_EQ(r.reason, opt::StopReason::GradientNorm);
  EXPECT_EQ(r.steps, 6);
  EXPECT_EQ(r.x[0], 3.0);
}

}  // namespace
