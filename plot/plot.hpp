/// \file
/// Charts as SVG files with no plotting dependency: the paths of gradient descent on f
/// (path_chart.hpp, recorded by path_recorder.hpp), and the pieces they are drawn with
/// (svg.hpp, contour.hpp).
///
/// \namespace tapegrad::plot
/// SVG charts of optimization paths, and the pieces they are drawn with.
#pragma once

#include "contour.hpp"
#include "path_chart.hpp"
#include "path_recorder.hpp"
#include "svg.hpp"
